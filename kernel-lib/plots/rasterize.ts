/** PNG encoding through sharp (libvips + librsvg): charts from SVG, image grids from raw RGB pixels. */
import sharp from "sharp";

/** Rasterises an SVG document at its own size (density 72 keeps 1 SVG unit = 1 pixel). */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg, "utf8"), { density: 72 }).png().toBuffer();
}

/** Encodes interleaved 8-bit RGB pixels, row-major, `width * height * 3` bytes. */
export async function rgbToPng(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (pixels.length !== width * height * 3) {
    throw new Error(`rgbToPng: expected ${width}x${height}x3 = ${width * height * 3} bytes, got ${pixels.length}`);
  }
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length), { raw: { width, height, channels: 3 } }).png().toBuffer();
}
