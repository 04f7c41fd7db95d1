/**
 * The spool of an all-or-nothing import: its rows, validated and normalised, staged in a file
 * before anything is written to the database, then read back in chunks to apply them.
 *
 * Spool files hold customer data, so they live in one known folder under the data directory
 * (0700, files 0600) and are named after the process that writes them: `cleanImportSpool`, called
 * by the composition root at start, removes those whose process is gone (a kill -9 mid-import
 * otherwise left them behind for ever, issue #14 §5) while a `siyu import` running beside the
 * server keeps its own.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PreparedRow } from './import.rows.js';

/** A prepared row and the line of the file it came from. */
export type StagedRow = Omit<PreparedRow, 'warnings'> & { line: number };

/** The spool folder under a data directory. */
export function importSpoolDir(dataDir: string): string {
  return join(dataDir, 'import-spool');
}

/** Where imports spool when the root gave no folder (tests, tools): a per-user folder in the temp dir. */
export function fallbackSpoolDir(): string {
  return join(tmpdir(), `siyu-import-spool-${userInfo().uid}`);
}

/** Creates the folder 0700, or tightens it; refuses a symlink or a folder owned by someone else. */
async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new Error(`import spool folder ${dir} is not a directory owned by this user; remove it`);
  }
  if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

const FILE = /^(\d+)-[0-9a-f-]{36}\.ndjson$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return false; // at start this process has spooled nothing yet
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/**
 * Removes the spool files of processes that no longer run (and anything else in the folder that is
 * not a live spool), creating the folder 0700 if needed. Call once at start, before imports run.
 * Returns the names removed.
 */
export async function cleanImportSpool(dataDir: string): Promise<string[]> {
  const dir = importSpoolDir(dataDir);
  await ensureDir(dir);
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const m = FILE.exec(name);
    if (m && alive(Number(m[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** One import's spool file: written once in order, then read back in chunks, then removed. */
export interface Spool {
  readonly path: string;
  write(rows: StagedRow[]): Promise<void>;
  /** Ends writing; call before `read`. */
  finish(): Promise<void>;
  read(chunkRows: number): AsyncGenerator<StagedRow[]>;
  /** Removes the file (also when writing failed half-way). */
  remove(): Promise<void>;
}

/** Opens a new spool file (0600) in `dir`, creating the folder 0700. */
export async function openSpool(dir: string): Promise<Spool> {
  await ensureDir(dir);
  const path = join(dir, `${process.pid}-${randomUUID()}.ndjson`);
  const out: WriteStream = createWriteStream(path, { mode: 0o600, flags: 'wx' });
  let failure: Error | undefined;
  out.on('error', (err) => (failure ??= err));
  await once(out, 'open');
  return {
    path,
    async write(rows) {
      if (failure) throw failure;
      // JSON.stringify escapes line breaks, so one row is one line.
      const text = rows.map((r) => JSON.stringify({ l: r.line, e: r.event, t: r.tags }) + '\n').join('');
      if (!out.write(text)) await once(out, 'drain');
    },
    async finish() {
      if (failure) throw failure;
      out.end();
      await once(out, 'finish');
    },
    async *read(chunkRows) {
      const input = createReadStream(path);
      const lines = createInterface({ input, crlfDelay: Infinity });
      let chunk: StagedRow[] = [];
      try {
        for await (const text of lines) {
          const r = JSON.parse(text) as { l: number; e: StagedRow['event']; t: StagedRow['tags'] };
          chunk.push({ line: r.l, event: r.e, tags: r.t });
          if (chunk.length >= chunkRows) {
            yield chunk;
            chunk = [];
          }
        }
        if (chunk.length) yield chunk;
      } finally {
        // Also when the reader stops early (a chunk failed to commit): release the file.
        lines.close();
        input.destroy();
      }
    },
    async remove() {
      if (!out.closed) {
        out.destroy();
        await once(out, 'close').catch(() => {});
      }
      await rm(path, { force: true });
    },
  };
}
