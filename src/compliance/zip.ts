/**
 * A streaming ZIP writer over Node's zlib (deflate, CRC-32): entries are compressed as their data
 * arrives and each is closed by a data descriptor, so an archive of any number of rows is written
 * without holding it in memory or on disk. Written here rather than taken from a package (archiver,
 * yazl): the worktrees share one node_modules that a helper may not change; the format needs
 * ~100 lines, and `unzip -t` and Python's zipfile read what it writes (privacy.export.test.ts).
 * Limits: no ZIP64, so an entry or the archive must stay under 4 GiB and 65,535 entries.
 */
import { Readable } from 'node:stream';
import { crc32, createDeflateRaw } from 'node:zlib';

/** An entry to write: its path in the archive (UTF-8) and its content, chunk by chunk. */
export interface ZipEntry {
  name: string;
  data: AsyncIterable<string | Buffer>;
}

interface Written {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

/** DOS date and time of an instant (UTC), as ZIP headers hold them. */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((Math.max(d.getUTCFullYear(), 1980) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

const FLAGS = 0x0808; // bit 3: sizes in the data descriptor; bit 11: UTF-8 names

/** The archive's bytes, entry by entry, then the central directory. */
export async function* zipStream(entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>, at: number): AsyncGenerator<Buffer> {
  const { time, date } = dosTime(at);
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt16LE(name.length, 26);
    yield Buffer.concat([local, name]);
    const w: Written = { name, crc: 0, compressed: 0, size: 0, offset };
    offset += 30 + name.length;
    async function* counted() {
      for await (const chunk of entry.data) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (!b.length) continue;
        w.crc = crc32(b, w.crc);
        w.size += b.length;
        yield b;
      }
    }
    const input = Readable.from(counted());
    const deflate = createDeflateRaw();
    input.on('error', (err) => deflate.destroy(err));
    for await (const out of input.pipe(deflate) as AsyncIterable<Buffer>) {
      w.compressed += out.length;
      yield out;
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(w.crc >>> 0, 4);
    descriptor.writeUInt32LE(w.compressed, 8);
    descriptor.writeUInt32LE(w.size, 12);
    yield descriptor;
    offset += w.compressed + 16;
    written.push(w);
  }
  const central: Buffer[] = [];
  for (const w of written) {
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(20, 6);
    h.writeUInt16LE(FLAGS, 8);
    h.writeUInt16LE(8, 10);
    h.writeUInt16LE(time, 12);
    h.writeUInt16LE(date, 14);
    h.writeUInt32LE(w.crc >>> 0, 16);
    h.writeUInt32LE(w.compressed, 20);
    h.writeUInt32LE(w.size, 24);
    h.writeUInt16LE(w.name.length, 28);
    h.writeUInt32LE(w.offset, 42);
    central.push(h, w.name);
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(written.length, 8);
  end.writeUInt16LE(written.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  yield Buffer.concat([dir, end]);
}
