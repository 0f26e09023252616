/**
 * `torch.nn.utils.clip_grad_norm_`: if the global norm of all gradients exceeds `maxNorm`, scales them
 * all by maxNorm / (norm + 1e-6). TF.js tensors are immutable, so this returns scaled copies (the caller
 * disposes both the inputs and the result) together with the total norm before clipping.
 */
import * as tf from "@tensorflow/tfjs";

export function clipGradNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
  normType: number = 2,
): { grads: Record<string, tf.Tensor>; totalNorm: number } {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const entries = Object.entries(grads);
  if (entries.length === 0) return { grads: {}, totalNorm: 0 };
  const totalNorm = tf.tidy(() => {
    if (normType === Infinity) return tf.max(tf.stack(entries.map(([, grad]) => tf.max(tf.abs(grad))))).dataSync()[0];
    const norms = entries.map(([, grad]) => tf.norm(grad, normType));
    return tf.norm(tf.stack(norms), normType).dataSync()[0];
  });
  const coefficient = Math.min(1, maxNorm / (totalNorm + 1e-6));
  const clipped: Record<string, tf.Tensor> = {};
  for (const [name, grad] of entries) clipped[name] = coefficient < 1 ? tf.mul(grad, coefficient) : tf.clone(grad);
  return { grads: clipped, totalNorm };
}
