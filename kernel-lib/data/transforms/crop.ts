/**
 * `torchvision.transforms.functional.crop`: a box that may reach outside the image, where it is
 * filled with zeros (what PIL's `Image.crop` does).
 */
import { Image } from "../image";

export function crop(image: Image, top: number, left: number, height: number, width: number): Image {
  if (!(Number.isInteger(top) && Number.isInteger(left) && Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new Error(`crop: top/left must be integers and height/width positive integers, got ${top},${left},${height},${width}`);
  }
  const channels = image.channels;
  const output = Image.empty(image.pixelType, height, width, channels);
  const x0 = Math.max(0, left);
  const x1 = Math.min(image.width, left + width);
  if (x1 <= x0) return output;
  for (let y = Math.max(0, top); y < Math.min(image.height, top + height); y++) {
    const from = (y * image.width + x0) * channels;
    const to = ((y - top) * width + (x0 - left)) * channels;
    output.data.set(image.data.subarray(from, from + (x1 - x0) * channels), to);
  }
  return output;
}
