/**
 * Reads the CDNOW sample (Fader, Hardie & Lee 2005: 2,357 customers who first bought at CDNOW in
 * the first quarter of 1997, a 1/10 sample) and its published summaries, for the correctness
 * tests. Line format: `<master id> <sample id> <yyyymmdd> <cds> <dollars>`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Purchase } from './rfm.js';

/** The folder holding CDNOW_sample.txt and the summary files (copied from the project's shared data, test/fixtures/cdnow/README.md). */
export const CDNOW_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/cdnow');

/** Days since 1970-01-01 of a `yyyymmdd` date. */
export function dayOf(yyyymmdd: string): number {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

/** The purchases of CDNOW_sample.txt, the customer being the sample id (as in the summary files). */
export function readCdnowSample(): Purchase[] {
  const text = readFileSync(resolve(CDNOW_DIR, 'CDNOW_sample.txt'), 'utf8');
  const out: Purchase[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    out.push({ customer: String(Number(f[1])), day: dayOf(f[2]!), value: Number(f[4]) });
  }
  return out;
}

/** The rows of a CSV summary file as objects of numbers keyed by its header. */
export function readSummaryCsv(name: string): Record<string, number>[] {
  const [header, ...lines] = readFileSync(resolve(CDNOW_DIR, name), 'utf8').trim().split(/\r?\n/);
  const keys = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i]!, Number(v)])));
}
