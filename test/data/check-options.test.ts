import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { checkOptionNames } from "../../kernel-lib/data/check-options";
import { CIFAR10 } from "../../kernel-lib/data/cifar10";
import { DataLoader } from "../../kernel-lib/data/data-loader";
import { ImageFolder } from "../../kernel-lib/data/image-folder";

const DATA = path.resolve(__dirname, "../../data");

test("PyTorch spellings of options are refused with ours named, instead of being ignored", async () => {
  const cifar = await CIFAR10({ root: path.join(DATA, "cifar10-sample"), train: false });
  const loaderOptions = (extra: Record<string, unknown>) => ({ batchSize: 4, ...extra }) as unknown as ConstructorParameters<typeof DataLoader>[1];
  assert.throws(() => new DataLoader(cifar, loaderOptions({ drop_last: true })), /DataLoader: unknown option "drop_last"; here it is dropLast/);
  assert.throws(() => new DataLoader(cifar, loaderOptions({ batch_size: 8 })), /unknown option "batch_size"; here it is batchSize/);
  assert.throws(() => new DataLoader(cifar, loaderOptions({ num_workers: 2 })), /"num_workers"; here it is concurrency/);
  assert.throws(() => new DataLoader(cifar, loaderOptions({ shufle: true })), /unknown option "shufle"; the options are batchSize, shuffle, dropLast/);
  assert.equal(new DataLoader(cifar, { batchSize: 4, dropLast: true }).length, 75);

  const hymenoptera = path.join(DATA, "hymenoptera-sample", "train");
  assert.throws(() => new ImageFolder(hymenoptera, { on_error: "skip" } as object), /ImageFolder: unknown option "on_error"; here it is onError/);
  assert.throws(() => new ImageFolder(hymenoptera, { target_transform: () => 0 } as object), /"target_transform"; here it is nothing/);
  await assert.rejects(CIFAR10({ root: path.join(DATA, "cifar10-sample"), train: false, downlaod: true } as Parameters<typeof CIFAR10>[0]), /CIFAR10: unknown option "downlaod"; the options are root, train, download/);
  assert.doesNotThrow(() => checkOptionNames("X", { a: 1, b: undefined }, ["a", "b"]));
});
