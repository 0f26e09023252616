/**
 * Affine warps with nearest-neighbour sampling, as torchvision applies them to PIL images
 * (RandAugment's shear, translate and rotate): every output pixel centre is mapped through the
 * inverse matrix into the input; points outside the image get `fill`.
 */
import { Image } from "../image";

/** Inverse affine matrix `[a, b, c, d, e, f]`: input = (a·x + b·y + c, d·x + e·y + f). */
export type InverseAffine = readonly [number, number, number, number, number, number];

export function warpAffineNearest(image: Image, inverse: InverseAffine, fill: number | readonly number[] = 0): Image {
  const { height, width, channels } = image;
  const fills = typeof fill === "number" ? new Array<number>(channels).fill(fill) : fill;
  const out = Image.empty(image.pixelType, height, width, channels);
  const [a, b, c, d, e, f] = inverse;
  const src = image.data;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const xc = x + 0.5;
      const yc = y + 0.5;
      const xin = a * xc + b * yc + c;
      const yin = d * xc + e * yc + f;
      const o = (y * width + x) * channels;
      // Truncation with negatives mapped outside, as PIL's nearest filter does.
      const sx = xin < 0 ? -1 : Math.trunc(xin);
      const sy = yin < 0 ? -1 : Math.trunc(yin);
      if (sx >= 0 && sx < width && sy >= 0 && sy < height) {
        const s = (sy * width + sx) * channels;
        for (let k = 0; k < channels; k++) out.data[o + k] = src[s + k];
      } else {
        for (let k = 0; k < channels; k++) out.data[o + k] = fills[k];
      }
    }
  }
  return out;
}

/**
 * torchvision's `_get_inverse_affine_matrix` (angle and shear in degrees): rotation/shear/scale
 * about `center`, then a translation.
 */
export function inverseAffineMatrix(
  center: readonly [number, number],
  angle: number,
  translate: readonly [number, number],
  scale: number,
  shear: readonly [number, number],
): InverseAffine {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d / scale, -b / scale, 0, -c / scale, a / scale, 0];
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return [m[0], m[1], m[2], m[3], m[4], m[5]];
}

/** `F.affine` on a PIL image; `center` defaults to the image centre. */
export function affine(
  image: Image,
  options: { angle?: number; translate?: readonly [number, number]; scale?: number; shear?: readonly [number, number]; center?: readonly [number, number]; fill?: number | readonly number[] },
): Image {
  const center = options.center ?? [image.width * 0.5, image.height * 0.5];
  const matrix = inverseAffineMatrix(center, options.angle ?? 0, options.translate ?? [0, 0], options.scale ?? 1, options.shear ?? [0, 0]);
  return warpAffineNearest(image, matrix, options.fill ?? 0);
}

/** `F.rotate` on a PIL image: counter-clockwise by `angle` degrees about the centre, same size. */
export function rotate(image: Image, angle: number, fill: number | readonly number[] = 0): Image {
  const theta = (-angle * Math.PI) / 180;
  // PIL rounds the rotation matrix to 15 decimals so that right angles are exact.
  const round15 = (v: number): number => Math.round(v * 1e15) / 1e15;
  const cos = round15(Math.cos(theta));
  const sin = round15(Math.sin(theta));
  const cx = image.width / 2;
  const cy = image.height / 2;
  const c = cos * -cx + sin * -cy + cx;
  const f = -sin * -cx + cos * -cy + cy;
  return warpAffineNearest(image, [cos, sin, c, -sin, cos, f], fill);
}
