import * as fs from "node:fs";
import * as path from "node:path";
import type { InferenceGraph } from "./inference-graph";
import { graphToLayersArtifacts, type LayersModelExportOptions } from "./layers-model-export";
import { writeAtomically, writeLayersModelFiles, type WrittenModelFiles } from "./model-files";

/**
 * A minimal static web page that classifies an image with the TF.js export: index.html, tf.min.js
 * copied from node_modules (no CDN, works offline and on an intranet), the model folder and a
 * sample image. Serve the folder over http (browsers block fetch from file://) and open index.html;
 * `?backend=cpu` forces TF.js's plain JS backend.
 * The page prints the top class into `#result` (and `data-class` on it) and the logits into `#logits`.
 */
export interface BrowserDemoOptions {
  classNames: string[];
  /** Per-channel mean/std the model was trained with (after scaling pixels to [0, 1]). */
  mean: [number, number, number];
  std: [number, number, number];
  /** An image file (PNG/JPEG) copied next to the page as the default input. */
  sampleImage?: string;
  title?: string;
  /** Weight quantization of the exported model (default float32). */
  quantization?: LayersModelExportOptions["quantization"];
}

export interface BrowserDemo {
  directory: string;
  indexHtml: string;
  model: WrittenModelFiles;
  sampleImage?: string;
}

export function writeBrowserDemo(graph: InferenceGraph, directory: string, options: BrowserDemoOptions): BrowserDemo {
  const classes = graph.nodes.find((node) => node.name === graph.output);
  const classCount = classes && classes.op === "linear" ? classes.weight.shape[1] : undefined;
  if (classCount !== undefined && options.classNames.length !== classCount) {
    throw new Error(`writeBrowserDemo: classNames has ${options.classNames.length} names but the model has ${classCount} classes; pass one name per class.`);
  }
  if (options.mean.length !== 3 || options.std.length !== 3 || options.std.some((value) => !(value > 0))) {
    throw new Error("writeBrowserDemo: mean and std need 3 values each (RGB) and std must be positive, e.g. mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225].");
  }
  fs.mkdirSync(directory, { recursive: true });
  const model = writeLayersModelFiles(path.join(directory, "model"), graphToLayersArtifacts(graph, { quantization: options.quantization }));
  const tfBundle = path.join(path.dirname(require.resolve("@tensorflow/tfjs/package.json")), "dist", "tf.min.js");
  if (!fs.existsSync(tfBundle)) throw new Error(`writeBrowserDemo: ${tfBundle} is missing; reinstall @tensorflow/tfjs (npm ci).`);
  writeAtomically(path.join(directory, "tf.min.js"), fs.readFileSync(tfBundle));
  let sampleImage: string | undefined;
  if (options.sampleImage) {
    if (!fs.existsSync(options.sampleImage)) throw new Error(`writeBrowserDemo: sampleImage ${options.sampleImage} does not exist.`);
    sampleImage = `sample${path.extname(options.sampleImage).toLowerCase() || ".png"}`;
    writeAtomically(path.join(directory, sampleImage), fs.readFileSync(options.sampleImage));
  }
  const config = {
    inputShape: graph.inputShape,
    classNames: options.classNames,
    mean: options.mean,
    std: options.std,
    sampleImage: sampleImage ?? null,
  };
  const indexHtml = path.join(directory, "index.html");
  writeAtomically(indexHtml, Buffer.from(pageHtml(options.title ?? `${graph.name} in the browser`, config)));
  return { directory, indexHtml, model, sampleImage };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function pageHtml(title: string, config: object): string {
  // JSON inside <script>: escape "<" so a class name cannot close the script element.
  const configJson = JSON.stringify(config).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:2em} img{image-rendering:pixelated;width:128px} pre{background:#f4f4f4;padding:.5em}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p><input type="file" id="file" accept="image/*"> or the sample image:</p>
<img id="image" alt="input image">
<pre id="result">loading model…</pre>
<pre id="logits"></pre>
<script src="tf.min.js"></script>
<script>
const CONFIG = ${configJson};
const result = document.getElementById("result");
const logitsOut = document.getElementById("logits");
const image = document.getElementById("image");
let model;

function classify(img) {
  const [height, width] = CONFIG.inputShape;
  const logits = tf.tidy(() => {
    // Read the image at its natural size: fromPixels(img) would use the CSS-scaled size.
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext("2d").drawImage(img, 0, 0);
    let x = tf.browser.fromPixels(canvas).toFloat().div(255);
    if (x.shape[0] !== height || x.shape[1] !== width) x = tf.image.resizeBilinear(x, [height, width]);
    x = x.sub(tf.tensor1d(CONFIG.mean)).div(tf.tensor1d(CONFIG.std));
    return model.predict(x.expandDims(0)).squeeze([0]);
  });
  const values = Array.from(logits.dataSync());
  logits.dispose();
  const best = values.indexOf(Math.max(...values));
  result.textContent = "class: " + CONFIG.classNames[best];
  result.dataset.class = CONFIG.classNames[best];
  result.dataset.backend = tf.getBackend();
  logitsOut.textContent = JSON.stringify(values);
}

async function main() {
  const backend = new URLSearchParams(location.search).get("backend");
  if (backend) await tf.setBackend(backend);
  await tf.ready();
  model = await tf.loadLayersModel("model/model.json");
  result.textContent = "model loaded (" + tf.getBackend() + "); choose an image";
  image.onload = () => classify(image);
  document.getElementById("file").onchange = (event) => {
    const file = event.target.files[0];
    if (file) image.src = URL.createObjectURL(file);
  };
  if (CONFIG.sampleImage) image.src = CONFIG.sampleImage;
}
main().catch((error) => {
  result.textContent = "error: " + error.message;
  result.dataset.error = error.message;
});
</script>
</body>
</html>
`;
}
