/**
 * What each notebook's outputs must contain after a headless LAB_MODE=smoke run (text of stdout, every
 * MIME type's data and errors, joined). Notebook authors: add your notebook here with a few regexes
 * that prove it did its job (a printed metric, a table heading), not just that it ran.
 */
export const notebookExpectations: Record<string, RegExp[]> = {
  // The environment table (active backend, whether TF uses the GPU), then the timed matMul.
  "00-environment.ipynb": [/backend: /, /Active backend/, /isUsingGpuDevice/, /CPU cores/, /run 3: [\d.]+ ms on /],
  // Environment table, dataset tree with counts, the weights outcome (loaded, or the from-scratch note with the
  // fix), fit's progress table, plots, the strategy table, the saved-model round trip, the final metrics line.
  "01-transfer-learning.ipynb": [
    /Active backend/,
    /├── train\/  \(\d+ images\)\n│   ├── \S+\/\s+\d+ images/,
    /loaded pretrained weights|NOTE: no ImageNet weights, so this run trains FROM SCRATCH[\s\S]*LAB_WEIGHTS=/,
    /epoch\s+train_loss\s+train_acc\s+val_loss\s+val_acc\s+lr/,
    /class="kernel-lib-chart/,
    /strategy\s+trainable params\s+epochs\s+s\/epoch\s+train loss\s+val acc\s+best val acc\n[-\s]+\nfrozen backbone \(fc only\)\s+[\d,]+\s[\s\S]*fine-tune all[\s\S]*freeze first 6 children/,
    /Top \d+ losses \(prediction \/ truth\)/,
    /reloaded val accuracy ([\d.]+)% \(before saving: \1%\)/,
    /final: .+, val accuracy [\d.]+% on \d+ images/,
    /tensors left over by this notebook: 0/,
  ],
  // Environment table, augmented vs plain image grids, fit's progress table, curves, confusion matrix, the final
  // metrics line, the checkpoint round trip, the ResNet34 swap, no leaked tensors.
  "02-cifar10-resnet18.ipynb": [
    /Active backend/,
    /training images \(augmented\) \(\d+ images[\s\S]*test images \(not augmented\) \(\d+ images/,
    /resnet18 with the CIFAR stem: 11\.17 M parameters/,
    /epoch\s+train_loss\s+train_acc\s+val_loss\s+val_acc\s+lr/,
    /class="kernel-lib-chart/,
    /test set, % of each true class[\s\S]*predicted →/,
    /learning rate after each epoch \(cosine\)/,
    /test accuracy per class/,
    /final: test accuracy [\d.]+% on \d+ test images after \d+ epochs/,
    /no result file written/,
    /restored model vs trained model, max \|Δ logits\| = 0\n/,
    /resnet34: 21\.28 M parameters; /,
    /tensors left over by this notebook: 0/,
  ],
  // Live progress of each method, at least one plot, the comparison table.
  "03-semi-supervised.ipynb": [
    /supervised step \d+\/\d+ \| loss [\d.]+/,
    /mean-teacher step \d+\/\d+/,
    /fixmatch step \d+\/\d+/,
    /class="kernel-lib-chart/,
    /method\s+labels used\s+steps\s+test accuracy/,
  ],
  // Export verification, quantization and latency tables, the web page, no leaked tensors.
  "04-export-for-mobile.ipynb": [
    /format\s+│\s+file\s+│\s+max \|Δ logits\|/,
    /top-1 agreement/,
    /median ms/,
    /web page: out\/04-export\/web\/index\.html/,
    /tensors left over by this notebook: 0/,
  ],
};
