import * as zlib from "node:zlib";

/**
 * Reads the entries of a zip archive held in memory: what torch.save's files are (stored, 64-byte
 * aligned entries written by miniz). Deflated entries are inflated too. Every entry's CRC-32 is
 * checked when read, so a damaged checkpoint fails loudly instead of loading wrong weights.
 */
export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();

  constructor(private readonly data: Buffer, private readonly source: string) {
    const endOfDirectory = this.findEndOfCentralDirectory();
    let count = data.readUInt16LE(endOfDirectory + 10);
    let directoryOffset = data.readUInt32LE(endOfDirectory + 16);
    if (directoryOffset === 0xffffffff || count === 0xffff) {
      const zip64 = this.zip64EndOfDirectory(endOfDirectory);
      count = Number(data.readBigUInt64LE(zip64 + 32));
      directoryOffset = Number(data.readBigUInt64LE(zip64 + 48));
    }
    let pos = directoryOffset;
    for (let i = 0; i < count; i++) {
      if (pos + 46 > data.length || data.readUInt32LE(pos) !== 0x02014b50) this.corrupt(`central directory entry ${i} is damaged`);
      const nameLength = data.readUInt16LE(pos + 28);
      const extraLength = data.readUInt16LE(pos + 30);
      const commentLength = data.readUInt16LE(pos + 32);
      const entry: ZipEntry = {
        name: data.toString("utf8", pos + 46, pos + 46 + nameLength),
        method: data.readUInt16LE(pos + 10),
        crc32: data.readUInt32LE(pos + 16),
        compressedSize: data.readUInt32LE(pos + 20),
        size: data.readUInt32LE(pos + 24),
        localHeaderOffset: data.readUInt32LE(pos + 42),
      };
      this.applyZip64Extra(entry, data.subarray(pos + 46 + nameLength, pos + 46 + nameLength + extraLength));
      this.entries.set(entry.name, entry);
      pos += 46 + nameLength + extraLength + commentLength;
    }
  }

  static isZip(data: Uint8Array): boolean {
    return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
  }

  read(name: string): Buffer {
    const entry = this.entries.get(name);
    if (entry === undefined) this.corrupt(`entry "${name}" is missing`);
    const header = entry!.localHeaderOffset;
    if (header + 30 > this.data.length || this.data.readUInt32LE(header) !== 0x04034b50) this.corrupt(`local header of "${name}" is damaged`);
    const start = header + 30 + this.data.readUInt16LE(header + 26) + this.data.readUInt16LE(header + 28);
    const end = start + entry!.compressedSize;
    if (end > this.data.length) this.corrupt(`entry "${name}" runs past the end of the file (truncated download?)`);
    const raw = this.data.subarray(start, end);
    let content: Buffer;
    if (entry!.method === 0) content = raw;
    else if (entry!.method === 8) content = zlib.inflateRawSync(raw);
    else throw new Error(`${this.source}: entry "${name}" uses zip compression method ${entry!.method}; only stored and deflate are supported`);
    if (content.length !== entry!.size || (zlib.crc32(content) >>> 0) !== entry!.crc32) {
      this.corrupt(`entry "${name}" fails its CRC-32 check`);
    }
    return content;
  }

  private findEndOfCentralDirectory(): number {
    const minimum = Math.max(0, this.data.length - 22 - 0xffff);
    for (let pos = this.data.length - 22; pos >= minimum; pos--) {
      if (this.data.readUInt32LE(pos) === 0x06054b50) return pos;
    }
    return this.corrupt("no end-of-central-directory record (truncated or not a zip file)");
  }

  private zip64EndOfDirectory(endOfDirectory: number): number {
    const locator = endOfDirectory - 20;
    if (locator < 0 || this.data.readUInt32LE(locator) !== 0x07064b50) this.corrupt("zip64 locator missing");
    const record = Number(this.data.readBigUInt64LE(locator + 8));
    if (this.data.readUInt32LE(record) !== 0x06064b50) this.corrupt("zip64 end record damaged");
    return record;
  }

  private applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
    let pos = 0;
    while (pos + 4 <= extra.length) {
      const id = extra.readUInt16LE(pos);
      const length = extra.readUInt16LE(pos + 2);
      if (id === 0x0001) {
        let field = pos + 4;
        const next = (): number => {
          const value = Number(extra.readBigUInt64LE(field));
          field += 8;
          return value;
        };
        if (entry.size === 0xffffffff) entry.size = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      }
      pos += 4 + length;
    }
  }

  private corrupt(reason: string): never {
    throw new Error(`${this.source}: corrupt checkpoint archive: ${reason}. Re-download or re-save the file.`);
  }
}
