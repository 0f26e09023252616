/**
 * What a tutorial shows first about "your own dataset": the folder tree (`train/<class>/...`,
 * `val/<class>/...`) and how many images each class has, counted exactly as ImageFolder will load
 * them (same extensions, hidden folders skipped), plus the files ImageFolder will ignore, so a
 * student sees before training that a GIF or a stray text file is not part of the data.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { display, type MimeBundle } from "../plots/display";
import { ImageFolder } from "./image-folder";

export interface ClassCount {
  name: string;
  images: number;
  /** Files under the class folder that are not images by extension (left out by ImageFolder). */
  ignored: string[];
}

export interface SplitCounts {
  /** "train", "val", ... or "" when the root itself holds the class folders. */
  name: string;
  classes: ClassCount[];
  images: number;
}

export interface DatasetTree {
  root: string;
  splits: SplitCounts[];
  /** The tree with counts as text (├── / └── lines). */
  text: string;
  bundle: MimeBundle;
}

const SPLIT_NAMES = ["train", "val", "valid", "validation", "test"];

function isVisibleFolder(root: string, name: string): boolean {
  return !name.startsWith(".") && fs.statSync(path.join(root, name)).isDirectory();
}

/** Splits are the well-known sub-folder names when present; otherwise the root is one ImageFolder. */
function splitFolders(root: string): string[] {
  const folders = fs.readdirSync(root).filter((name) => isVisibleFolder(root, name));
  const splits = folders.filter((name) => SPLIT_NAMES.includes(name.toLowerCase()));
  return splits.length > 0 ? splits.sort((a, b) => SPLIT_NAMES.indexOf(a.toLowerCase()) - SPLIT_NAMES.indexOf(b.toLowerCase())) : [""];
}

function countSplit(root: string, split: string): SplitCounts {
  const folder = new ImageFolder(path.join(root, split));
  const classes = folder.classes.map((name, index) => ({
    name,
    images: folder.targets.filter((target) => target === index).length,
    ignored: folder.ignoredFiles.filter((file) => file.startsWith(path.join(folder.root, name) + path.sep)).map((file) => path.relative(folder.root, file)),
  }));
  return { name: split, classes, images: folder.length };
}

function treeText(root: string, splits: SplitCounts[]): string {
  const lines = [`${root.replace(/\/+$/, "")}/`];
  const width = Math.max(...splits.flatMap((split) => split.classes.map((c) => c.name.length)));
  splits.forEach((split, splitIndex) => {
    const lastSplit = splitIndex === splits.length - 1;
    let indent = "";
    if (split.name !== "") {
      lines.push(`${lastSplit ? "└── " : "├── "}${split.name}/  (${split.images} images)`);
      indent = lastSplit ? "    " : "│   ";
    }
    split.classes.forEach((item, classIndex) => {
      const branch = classIndex === split.classes.length - 1 ? "└── " : "├── ";
      const ignored = item.ignored.length > 0 ? `  + ${item.ignored.length} ignored: ${item.ignored.map((file) => path.basename(file)).join(", ")}` : "";
      lines.push(`${indent}${branch}${`${item.name}/`.padEnd(width + 2)}${String(item.images).padStart(6)} images${ignored}`);
    });
  });
  return lines.join("\n");
}

/** Counts the images per split and class under `root` (an ImageFolder, or a folder of train/val/... ImageFolders). */
export function datasetTree(root: string): DatasetTree {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new Error(`datasetTree: ${root} is not a folder; pass a dataset root holding train/ and val/ (each with one folder per class) or class folders directly`);
  }
  const splits = splitFolders(root).map((split) => countSplit(root, split));
  const text = treeText(root, splits);
  const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return { root, splits, text, bundle: { "text/plain": text, "text/html": `<pre class="kernel-lib-tree">${escaped}</pre>` } };
}

/** `datasetTree` shown as a notebook output (text in a terminal). */
export function showDatasetTree(root: string): DatasetTree {
  const tree = datasetTree(root);
  display(tree.bundle);
  return tree;
}
