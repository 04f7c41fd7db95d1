import { expect, it } from 'vitest';
import { errorTexts } from '../console/src/i18n/errors.js';
import { errorCatalogue } from '../src/server/errors.js';

// The console shows the API's errors in the operator's language (issue #16): every code the API may
// answer has a zh-CN and an English text, and the console keeps no text for a code that is gone.
it('has a Chinese and an English text for every error code of the API, and none for a code the API no longer has', () => {
  const codes = Object.keys(errorCatalogue()).sort();
  expect(codes.filter((c) => !errorTexts[c])).toEqual([]);
  expect(Object.keys(errorTexts).filter((c) => !codes.includes(c))).toEqual([]);
  for (const [code, text] of Object.entries(errorTexts)) {
    expect(text.en.trim(), code).not.toBe('');
    expect(text.zh, code).toMatch(/[\u4e00-\u9fff]/);
  }
});
