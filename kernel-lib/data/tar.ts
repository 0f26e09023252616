/**
 * Safe extraction of (gzipped) tar archives, enough for dataset archives: ustar/GNU/pax regular files
 * and folders, streamed so a 170 MB archive never sits in memory.
 *
 * Safety: an entry whose path is absolute or climbs out of the destination (`..`) stops extraction
 * with an error, and links are refused (a link could point anywhere). Entries are written into a
 * temporary folder inside the destination and moved into place only after the whole archive was read,
 * so a failed extraction never leaves a half-filled dataset folder behind.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

const BLOCK = 512;

export interface ExtractOptions {
  /** Called for every extracted file, with its path relative to the destination. */
  onEntry?: (relativePath: string, bytes: number) => void;
}

function readString(block: Buffer, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? slice.length : end).toString("utf8");
}

/** Sizes are octal text, or big-endian base-256 when the first byte has its high bit set (GNU, > 8 GB). */
function readSize(block: Buffer, archivePath: string): number {
  const field = block.subarray(124, 136);
  if (field[0] & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = readString(block, 124, 12).trim();
  const value = text === "" ? 0 : parseInt(text, 8);
  if (!Number.isFinite(value)) throw new Error(`extractTar: corrupt header in ${archivePath} (size field ${JSON.stringify(text)}); the archive is damaged, download it again`);
  return value;
}

function checksumMatches(block: Buffer): boolean {
  const stored = parseInt(readString(block, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return stored === sum;
}

/** Key=value records of a pax extended header ("<length> <key>=<value>\n"). */
function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(data.subarray(offset, space).toString("utf8"), 10);
    if (!(length > 0)) break;
    const record = data.subarray(space + 1, offset + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}

/** Resolves an entry path inside `root`, refusing anything that would land outside it. */
export function safeEntryPath(root: string, entryName: string, archivePath: string): string {
  const normalized = entryName.replace(/\\/g, "/");
  if (normalized.startsWith("/") || /^[a-zA-Z]:/.test(normalized)) {
    throw new Error(`extractTar: ${archivePath} contains an absolute path ${JSON.stringify(entryName)}; refusing to extract an unsafe archive`);
  }
  const resolvedRoot = path.resolve(root);
  const target = path.resolve(resolvedRoot, normalized);
  if (target !== resolvedRoot && !target.startsWith(resolvedRoot + path.sep)) {
    throw new Error(`extractTar: ${archivePath} contains ${JSON.stringify(entryName)}, which escapes the destination; refusing to extract an unsafe archive`);
  }
  return target;
}

/** A byte queue over the (gunzipped) stream that hands out exact-length pieces. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly source: AsyncIterator<Buffer>;
  private done = false;
  constructor(stream: NodeJS.ReadableStream) {
    this.source = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
  private async fill(bytes: number): Promise<boolean> {
    while (this.buffered < bytes && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= bytes;
  }
  /** Exactly `bytes` bytes, or null at a clean end of stream; throws on a truncated one. */
  async read(bytes: number, what: string): Promise<Buffer | null> {
    if (!(await this.fill(bytes))) {
      if (this.buffered === 0) return null;
      throw new Error(`the archive ends in the middle of ${what}`);
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const piece = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return piece;
  }
  /** Streams `bytes` bytes to `sink` in chunks, without gathering them. */
  async pipeTo(bytes: number, sink: (chunk: Buffer) => void, what: string): Promise<void> {
    let remaining = bytes;
    while (remaining > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) throw new Error(`the archive ends in the middle of ${what}`);
      const head = this.chunks[0];
      const take = Math.min(remaining, head.length);
      sink(head.subarray(0, take));
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
      this.buffered -= take;
      remaining -= take;
    }
  }
}

/**
 * Extracts `archivePath` (.tar, .tar.gz or .tgz, detected from the gzip magic bytes) into
 * `destination` and returns the top-level names it created.
 */
export async function extractTar(archivePath: string, destination: string, options: ExtractOptions = {}): Promise<string[]> {
  if (!fs.existsSync(archivePath)) throw new Error(`extractTar: archive ${archivePath} does not exist`);
  fs.mkdirSync(destination, { recursive: true });
  const staging = fs.mkdtempSync(path.join(destination, ".extracting-"));
  const header = Buffer.alloc(2);
  const fd = fs.openSync(archivePath, "r");
  fs.readSync(fd, header, 0, 2, 0);
  fs.closeSync(fd);
  const gzipped = header[0] === 0x1f && header[1] === 0x8b;
  const fileStream = fs.createReadStream(archivePath);
  const stream: NodeJS.ReadableStream = gzipped ? fileStream.pipe(zlib.createGunzip()) : fileStream;
  if (gzipped) fileStream.on("error", (error) => (stream as zlib.Gunzip).destroy(error));
  const reader = new ByteReader(stream);
  const topLevel = new Set<string>();
  try {
    let longName: string | undefined;
    let paxPath: string | undefined;
    for (;;) {
      const block = await reader.read(BLOCK, "a header");
      if (block === null || block.every((b) => b === 0)) break; // end-of-archive marker
      if (!checksumMatches(block)) {
        throw new Error(`the header checksum is wrong (not a tar archive, or a damaged one)`);
      }
      const size = readSize(block, archivePath);
      const type = String.fromCharCode(block[156] || 0x30);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === "L" || type === "x" || type === "g") {
        const data = (await reader.read(padded, "an extended header")) ?? Buffer.alloc(0);
        if (type === "L") longName = readString(data, 0, size);
        else if (type === "x") paxPath = parsePax(data.subarray(0, size)).path ?? paxPath;
        continue;
      }
      const prefix = readString(block, 257, 6).startsWith("ustar") ? readString(block, 345, 155) : "";
      const baseName = readString(block, 0, 100);
      const entryName = paxPath ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
      longName = undefined;
      paxPath = undefined;
      const target = safeEntryPath(staging, entryName, archivePath);
      const relative = path.relative(staging, target);
      if (relative !== "") topLevel.add(relative.split(path.sep)[0]);
      if (type === "5") {
        fs.mkdirSync(target, { recursive: true });
        await reader.pipeTo(padded, () => undefined, entryName);
      } else if (type === "0" || type === "7") {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        const out = fs.openSync(target, "w");
        try {
          await reader.pipeTo(size, (chunk) => fs.writeSync(out, chunk), entryName);
        } finally {
          fs.closeSync(out);
        }
        await reader.pipeTo(padded - size, () => undefined, entryName);
        if (options.onEntry) options.onEntry(relative, size);
      } else if (type === "1" || type === "2") {
        throw new Error(`it contains a link ${JSON.stringify(entryName)}; links are not extracted, for safety`);
      } else {
        await reader.pipeTo(padded, () => undefined, entryName); // devices, fifos: nothing a dataset needs
      }
    }
    // Move everything into place only now that the whole archive has been read.
    for (const name of topLevel) {
      const finalPath = path.join(destination, name);
      fs.rmSync(finalPath, { recursive: true, force: true });
      fs.renameSync(path.join(staging, name), finalPath);
    }
    return [...topLevel];
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.startsWith("extractTar:") ? message : `extractTar: cannot extract ${archivePath}: ${message}; delete it and download it again`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    (stream as fs.ReadStream).destroy?.();
    fileStream.destroy();
  }
}
