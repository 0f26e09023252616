import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { datasetTree } from "../../kernel-lib/data/dataset-tree";

function touch(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "");
}

test("datasetTree counts the bundled hymenoptera sample as ImageFolder loads it (the GIF is listed as ignored)", () => {
  const tree = datasetTree(path.resolve(__dirname, "../../data/hymenoptera-sample"));
  assert.deepEqual(tree.splits.map((split) => split.name), ["train", "val"]);
  assert.deepEqual(
    tree.splits.map((split) => split.classes.map((c) => [c.name, c.images])),
    [[["ants", 30], ["bees", 30]], [["ants", 20], ["bees", 20]]],
  );
  assert.deepEqual(tree.splits[0].classes[0].ignored, ["ants/imageNotFound.gif"]);
  assert.match(tree.text, /├── train\/  \(60 images\)\n│   ├── ants\/\s+30 images  \+ 1 ignored: imageNotFound\.gif\n│   └── bees\/\s+30 images\n└── val\/  \(40 images\)/);
  assert.match(tree.bundle["text/html"] ?? "", /<pre class="kernel-lib-tree">/);
});

test("datasetTree: splits in train/val/test order; a root of class folders is one split; hidden folders skipped", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dataset-tree-"));
  try {
    touch(path.join(root, "val", "cat", "a.jpg"));
    touch(path.join(root, "train", "dog", "a.png"));
    touch(path.join(root, "train", "cat", "a.jpg"));
    touch(path.join(root, "train", "cat", "b.JPEG"));
    touch(path.join(root, "train", "cat", "notes.txt"));
    touch(path.join(root, "train", ".ipynb_checkpoints", "x.jpg"));
    touch(path.join(root, "test", "cat", "a.jpg"));
    const tree = datasetTree(root);
    assert.deepEqual(tree.splits.map((split) => split.name), ["train", "val", "test"]);
    assert.deepEqual(tree.splits[0].classes, [
      { name: "cat", images: 2, ignored: ["cat/notes.txt"] },
      { name: "dog", images: 1, ignored: [] },
    ]);
    const flat = datasetTree(path.join(root, "train"));
    assert.deepEqual(flat.splits.map((split) => [split.name, split.images]), [["", 3]]);
    assert.doesNotMatch(flat.text, /train\/  \(/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("datasetTree: a missing root names the argument and the expected layout", () => {
  assert.throws(() => datasetTree("/no/such/dataset"), /datasetTree: \/no\/such\/dataset is not a folder; pass a dataset root holding train\/ and val\//);
});
