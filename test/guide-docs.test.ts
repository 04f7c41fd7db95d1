import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorTexts } from '../console/src/i18n/errors.js';

/**
 * The operator guide (docs/guide/) quotes the console: its menus, buttons and messages in bold
 * (`**设置 → 用户**`, one label per part of an arrow path), and the API's error messages as
 * `` `CODE` `` followed by the console's text in 「…」 (zh-CN) or “…” (en). This test keeps the guide
 * true to the console's dictionaries as they change, and checks that every image the guide and
 * the README show exists and every page links where it says.
 */

const ROOT = process.cwd();
const GUIDE = join(ROOT, 'docs', 'guide');
const LANGS = { 'zh-CN': { dict: 'zh-CN', error: 'zh' }, en: { dict: 'en', error: 'en' } } as const;
type Lang = keyof typeof LANGS;

const pages = (lang: Lang) =>
  readdirSync(join(GUIDE, lang))
    .filter((f) => f.endsWith('.md'))
    .sort();
const read = (file: string) => readFileSync(file, 'utf8');
/** Markdown without its fenced and inline code, where bold or brackets mean nothing. */
const prose = (md: string) => md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '``');

/** Every image and relative link of a Markdown file, as [target, absolute path]. */
function targets(file: string): { images: string[]; links: string[] } {
  const md = read(file).replace(/```[\s\S]*?```/g, '');
  const images = [...md.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g), ...md.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
  const links = [...md.matchAll(/(?<!!)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'));
  const abs = (t: string) => resolve(dirname(file), decodeURI(t.split('#')[0]!));
  return { images: images.map(abs), links: links.map(abs) };
}

describe('the operator guide', () => {
  let dictionaries: Record<'zh-CN' | 'en', Record<string, string>>;

  beforeAll(async () => {
    // By URL, so the root type check does not follow the console's browser code (it has its own tsconfig).
    const url = pathToFileURL(join(ROOT, 'console', 'src', 'i18n.ts')).href;
    ({ dictionaries } = (await import(url)) as { dictionaries: Record<'zh-CN' | 'en', Record<string, string>> });
  });

  it('has the same tasks in zh-CN and English, each linked from its index', () => {
    const zh = pages('zh-CN');
    expect(zh.length).toBeGreaterThan(1);
    expect(pages('en')).toEqual(zh);
    for (const lang of Object.keys(LANGS) as Lang[]) {
      const index = read(join(GUIDE, lang, 'README.md'));
      for (const page of zh.filter((p) => p !== 'README.md')) expect(index, `${lang}/README.md links ${page}`).toContain(`](${page})`);
    }
  });

  it('quotes only labels the console has, in the page’s language', () => {
    for (const lang of Object.keys(LANGS) as Lang[]) {
      const norm = (s: string) => s.replace(/\s+/g, ' ').trim(); // a label may wrap across lines in the Markdown
      const labels = new Set(Object.values(dictionaries[LANGS[lang].dict]).map(norm));
      let quoted = 0;
      const unknown: string[] = [];
      for (const page of pages(lang)) {
        for (const [, bold] of prose(read(join(GUIDE, lang, page))).matchAll(/\*\*([^*]+)\*\*/g)) {
          for (const label of bold!.split(' → ')) {
            quoted += 1;
            if (!labels.has(norm(label))) unknown.push(`${lang}/${page}: **${norm(label)}**`);
          }
        }
      }
      expect(unknown, `labels the ${lang} console does not have`).toEqual([]);
      expect(quoted, `${lang} quotes labels`).toBeGreaterThan(50);
    }
  });

  it('quotes the console’s own text for every API error it names', () => {
    for (const lang of Object.keys(LANGS) as Lang[]) {
      let named = 0;
      for (const page of pages(lang)) {
        // `UPPER_SNAKE_CASE` in code marks is an error code; the text after it, in this language's quotation marks.
        for (const [, code, zh, en] of read(join(GUIDE, lang, page)).matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`\s*(?:「([^」]*)」|“([^”]*)”)?/g)) {
          named += 1;
          expect(errorTexts[code!], `${lang}/${page}: ${code} is not an API error code`).toBeDefined();
          const text = lang === 'zh-CN' ? zh : en;
          expect(text, `${lang}/${page}: ${code} is followed by its text in ${lang === 'zh-CN' ? '「」' : '“”'}`).toBeDefined();
          expect(text, `${lang}/${page}: ${code}`).toBe(errorTexts[code!]![LANGS[lang].error]);
        }
      }
      expect(named, `${lang} names API errors`).toBeGreaterThan(10);
    }
  });

  it('shows only images that exist, links only pages that exist, and leaves no image unused', () => {
    const files = [
      join(ROOT, 'README.md'),
      join(ROOT, 'docs', 'console.md'),
      ...(Object.keys(LANGS) as Lang[]).flatMap((l) => pages(l).map((p) => join(GUIDE, l, p))),
    ];
    const used = new Set<string>();
    for (const file of files) {
      const { images, links } = targets(file);
      for (const img of images) {
        expect(existsSync(img), `${relative(ROOT, file)} shows ${relative(ROOT, img)}`).toBe(true);
        used.add(img);
      }
      for (const link of links) expect(existsSync(link), `${relative(ROOT, file)} links ${relative(ROOT, link)}`).toBe(true);
    }
    const readme = targets(join(ROOT, 'README.md'));
    expect(readme.images.map((i) => relative(ROOT, i))).toEqual(
      expect.arrayContaining(['docs/guide/images/overview-1440.png', 'docs/guide/images/profile-1440.png']),
    );
    expect(readme.links.map((l) => relative(ROOT, l))).toEqual(expect.arrayContaining(['docs/guide/zh-CN/README.md', 'docs/guide/en/README.md']));
    expect(targets(join(ROOT, 'docs', 'console.md')).links.map((l) => relative(ROOT, l))).toEqual(
      expect.arrayContaining(['docs/guide/zh-CN/README.md', 'docs/guide/en/README.md']),
    );
    const images = readdirSync(join(GUIDE, 'images')).map((f) => join(GUIDE, 'images', f));
    expect(images.filter((i) => !used.has(i)).map((i) => relative(ROOT, i))).toEqual([]);
  });
});
