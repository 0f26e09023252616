/**
 * Rejects option names a constructor does not know. PyTorch users write `drop_last` or `batch_size`
 * out of habit; silently ignoring them would train with the wrong settings, so the error names the
 * spelling used here.
 */

/** PyTorch's spellings of options, mapped to ours or to why they do not exist here. */
const PYTORCH_SPELLINGS: Record<string, string> = {
  batch_size: "batchSize",
  drop_last: "dropLast",
  prefetch_factor: "prefetch (batches assembled ahead)",
  num_workers: "concurrency (decoding already runs on libuv's threads; concurrency sets how many items load at once)",
  pin_memory: "nothing (not needed: batches are plain TF.js tensors)",
  target_transform: "nothing (apply it to the labels yourself)",
  on_error: "onError",
  class_to_idx: "classToIdx (a property, not an option)",
};

export function checkOptionNames(owner: string, options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const hint = PYTORCH_SPELLINGS[name];
    throw new Error(
      `${owner}: unknown option ${JSON.stringify(name)}` +
        (hint ? `; here it is ${hint}` : `; the options are ${known.join(", ")}`),
    );
  }
}
