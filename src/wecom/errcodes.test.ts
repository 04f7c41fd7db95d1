import { describe, expect, it } from 'vitest';
import { errcodeMeaning, isRetryableErrcode, RETRYABLE_ERRCODES } from './index.js';

describe('retryable WeCom errcodes', () => {
  it('are system busy and the rate limits, exactly the list messaging/channels/wecom.ts keeps of its own', () => {
    // The same four as messaging's copy, so that switching it to isRetryableErrcode changes nothing.
    expect([...RETRYABLE_ERRCODES].sort((a, b) => a - b)).toEqual([-1, 45009, 45011, 45033]);
    for (const code of [-1, 45009, 45011, 45033]) expect(isRetryableErrcode(code), String(code)).toBe(true);
    // WeCom's final answers: bad secret, bad token, no permission, not a customer, success.
    for (const code of [0, 40001, 40014, 48002, 84061, 60020]) expect(isRetryableErrcode(code), String(code)).toBe(false);
    for (const code of RETRYABLE_ERRCODES) expect(errcodeMeaning(code).en.length, String(code)).toBeGreaterThan(0);
  });
});
