/** torchvision's size arguments: an int means a square (or the shorter side for Resize), a pair is (h, w). */
export type Size = number | readonly [number] | readonly [number, number];

export function checkSize(size: Size, owner: string): [number, number] {
  const pair: readonly number[] = typeof size === "number" ? [size, size] : size.length === 1 ? [size[0], size[0]] : size;
  if (pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${owner}: size must be a positive integer or a [height, width] pair, got ${JSON.stringify(size)}`);
  }
  return [pair[0], pair[1]];
}
