/**
 * The weights path, never on the network: a loopback HTTP server serves a checkpoint that PyTorch
 * wrote on this machine. Downloads land in the cache under their torchvision-style name
 * (`<arch>-<sha256 prefix>.pth`) only after the hash prefix (and, for named weights, the size)
 * checks out; corrupt, short and dropped transfers are detected, resumed or refused.
 */
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resnet18, loadCheckpointFile, RESNET_WEIGHTS, type ResNet } from "../../kernel-lib/models";
import { runPython, torchvisionMissing } from "../data/python-reference";
import { startLocalServer, type LocalServer } from "../data/local-server";
import { temporaryDir } from "./torch-reference";

const WRITE_CHECKPOINT = String.raw`
import sys, torch, torchvision
torch.manual_seed(5)
torch.save(torchvision.models.resnet18().state_dict(), sys.argv[1])
`;

const skip = torchvisionMissing();
let dir = "";
let checkpoint: Buffer = Buffer.alloc(0);
let prefix = "";
let server: LocalServer | undefined;
const home = process.env.HOME;

before(async () => {
  if (skip !== undefined) return;
  dir = temporaryDir("weights");
  // PyTorch's own hub cache (~/.cache/torch/hub) is consulted first: keep it out of these tests.
  process.env.HOME = dir;
  runPython(WRITE_CHECKPOINT, undefined, [path.join(dir, "source.pth")]);
  checkpoint = fs.readFileSync(path.join(dir, "source.pth"));
  prefix = crypto.createHash("sha256").update(checkpoint).digest("hex").slice(0, 8);
  server = await startLocalServer();
});

after(async () => {
  process.env.HOME = home;
  await server?.close();
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
});

function cacheDir(label: string): string {
  return path.join(dir, `cache-${label}`);
}

function sameWeights(model: ResNet, file: string): void {
  const state = loadCheckpointFile(file);
  try {
    for (const key of ["conv1.weight", "layer3.1.bn2.running_var", "fc.weight"]) {
      assert.deepEqual(model.stateDict()[key]!.dataSync(), state[key]!.dataSync(), key);
    }
  } finally {
    tf.dispose(Object.values(state));
  }
}

test("a torchvision-style URL downloads into the cache, checks the hash prefix in its name, then hits the cache", { skip }, async () => {
  const name = `resnet18-${prefix}.pth`;
  server!.routes.set(`/models/${name}`, { body: checkpoint, dropAfterBytes: 1_000_000 });
  const url = `${server!.baseUrl}/models/${name}`;
  const model = await resnet18({ weights: url, cacheDir: cacheDir("ok") });
  try {
    assert.deepEqual(fs.readdirSync(cacheDir("ok")), [name], "only the verified file, no .part");
    sameWeights(model, path.join(dir, "source.pth"));
    const ranges = server!.requests.filter((r) => r.path === `/models/${name}`).map((r) => r.range);
    assert.equal(ranges.length, 2);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? "", /^bytes=[1-9]\d*-$/, "a dropped connection resumes where it stopped");
  } finally {
    model.dispose();
  }
  const requests = server!.requests.length;
  (await resnet18({ weights: url, cacheDir: cacheDir("ok") })).dispose();
  assert.equal(server!.requests.length, requests, "the second load must come from the cache");
});

test("a corrupt or short download is refused and leaves nothing in the cache; a damaged cached copy is replaced", { skip }, async () => {
  const name = `resnet18-${prefix}.pth`;
  const corrupt = Buffer.from(checkpoint);
  corrupt[corrupt.length >> 1] ^= 0xff;
  for (const [label, body] of [["corrupt", corrupt], ["short", checkpoint.subarray(0, checkpoint.length - 4096)]] as const) {
    server!.routes.set(`/${label}/${name}`, { body });
    await assert.rejects(resnet18({ weights: `${server!.baseUrl}/${label}/${name}`, cacheDir: cacheDir(label) }), (error: Error) => {
      assert.match(error.message, /resnet18: could not download .* is corrupt \(sha256 is [0-9a-f]{64}, expected [0-9a-f]{8}\)/);
      assert.match(error.message, /put it at .*resnet18-[0-9a-f]{8}\.pth/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(cacheDir(label)), [], `${label}: nothing may stay in the cache`);
  }

  server!.routes.set(`/models/${name}`, { body: checkpoint });
  fs.mkdirSync(cacheDir("damaged"), { recursive: true });
  fs.writeFileSync(path.join(cacheDir("damaged"), name), corrupt);
  const model = await resnet18({ weights: `${server!.baseUrl}/models/${name}`, cacheDir: cacheDir("damaged") });
  model.dispose();
  assert.ok(fs.readFileSync(path.join(cacheDir("damaged"), name)).equals(checkpoint), "the damaged copy is re-downloaded");
});

test('weights: "IMAGENET1K_V1" fetches torchvision\'s file name (here from a mirror) and rejects a file that is not it', { skip }, async () => {
  assert.equal(RESNET_WEIGHTS.resnet18.IMAGENET1K_V1.url, "https://download.pytorch.org/models/resnet18-f37072fd.pth");
  // Served under the official name, PyTorch's random checkpoint has the wrong size and hash.
  server!.routes.set("/mirror/resnet18-f37072fd.pth", { body: checkpoint });
  await assert.rejects(resnet18({ weights: "IMAGENET1K_V1", cacheDir: cacheDir("named"), mirror: `${server!.baseUrl}/mirror` }), (error: Error) => {
    assert.match(error.message, /could not download http:\/\/127\.0\.0\.1:\d+\/mirror\/resnet18-f37072fd\.pth/);
    assert.match(error.message, /size is \d+ bytes, expected 46830571/);
    return true;
  });
  assert.deepEqual(fs.readdirSync(cacheDir("named")), []);
  await assert.rejects(resnet18({ weights: "IMAGENET1K_V1", cacheDir: cacheDir("named"), mirror: "file:///tmp" }), /mirror must be an http\(s\) folder URL/);
});

test("a truncated checkpoint given by path is a clear error naming the file", { skip }, async () => {
  const truncated = path.join(dir, "truncated.pth");
  fs.writeFileSync(truncated, checkpoint.subarray(0, checkpoint.length >> 1));
  await assert.rejects(resnet18({ weights: truncated }), (error: Error) => {
    assert.ok(error.message.includes("truncated.pth"), error.message);
    console.log(`  ${error.message.split("\n")[0]}`);
    return true;
  });
});
