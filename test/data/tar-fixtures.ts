/** A raw tar header built by hand, for archives GNU tar refuses to write (escaping paths, links). */
export function tarHeader(name: string, size: number, type = "0", linkName = ""): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, "utf8");
  block.write("0000644\0", 100);
  block.write("0000000\0", 108);
  block.write("0000000\0", 116);
  block.write(size.toString(8).padStart(11, "0") + "\0", 124);
  block.write("00000000000\0", 136);
  block.write("        ", 148);
  block.write(type, 156);
  block.write(linkName, 157, 100, "utf8");
  block.write("ustar\0" + "00", 257);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return block;
}
