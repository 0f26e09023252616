/**
 * PyTorch reference for the method tests: the TinyClassifier rebuilt with torch.nn.functional from the
 * same weights, running the published algorithms written directly in PyTorch (the independent
 * implementation the TypeScript steps are checked against).
 */
import * as tf from "@tensorflow/tfjs";
import { runPython } from "../../data/python-reference";
import type { TinyClassifier } from "./tiny-classifier";

export type NamedArrays = Record<string, number[]>;

/** Parameters and buffers as flat arrays in the TinyClassifier's (TF.js) layout. */
export function exportWeights(model: TinyClassifier): NamedArrays {
  const out: NamedArrays = {};
  for (const [name, variable] of [...model.namedParameters(), ...model.namedBuffers()]) out[name] = Array.from(variable.dataSync());
  return out;
}

export function tensorArray(tensor: tf.Tensor): number[] {
  return Array.from(tensor.dataSync());
}

const PRELUDE = String.raw`
import json, sys, torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
request = json.load(sys.stdin)
C = request["channels"]; K = request["classes"]

def model_from(weights):
    m = {k: torch.tensor(v, dtype=torch.float64) for k, v in weights.items()}
    m["conv.weight"] = m["conv.weight"].reshape(3, 3, 3, C).permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
    m["fc.weight"] = m["fc.weight"].reshape(C, K).t().contiguous()  # [in, out] -> [out, in]
    for k in ["conv.weight", "bn.weight", "bn.bias", "fc.weight", "fc.bias"]:
        m[k].requires_grad_(True)
    return m

PARAMS = ["conv.weight", "bn.weight", "bn.bias", "fc.weight", "fc.bias"]

def forward(m, x, training):
    h = F.conv2d(x, m["conv.weight"], padding=1)
    h = F.batch_norm(h, m["bn.running_mean"], m["bn.running_var"], m["bn.weight"], m["bn.bias"], training=training, momentum=0.1, eps=1e-5)
    return F.linear(F.relu(h).mean(dim=(2, 3)), m["fc.weight"], m["fc.bias"])

def images(name):
    return torch.tensor(request[name]).reshape(request[name + "_shape"]).permute(0, 3, 1, 2)

def sgd(m, lr):
    with torch.no_grad():
        for k in PARAMS:
            m[k] -= lr * m[k].grad

def export(m):
    out = {k: m[k].detach() for k in m}
    out["conv.weight"] = out["conv.weight"].permute(2, 3, 1, 0)
    out["fc.weight"] = out["fc.weight"].t()
    return {k: v.flatten().tolist() for k, v in out.items() if k != "bn.num_batches_tracked"}
`;

/** Runs `body` (which must set `result`, a JSON-serialisable dict) after the shared prelude. */
export function runTorchReference<T>(request: Record<string, unknown>, body: string): T {
  const script = `${PRELUDE}\n${body}\nprint(json.dumps(result))`;
  return JSON.parse(runPython(script, Buffer.from(JSON.stringify(request))).toString()) as T;
}

/** Largest absolute difference between the model's variables and the reference arrays. */
export function maxDifference(model: TinyClassifier, expected: NamedArrays, names: string[]): number {
  const byName = new Map([...model.namedParameters(), ...model.namedBuffers()]);
  let worst = 0;
  for (const name of names) {
    const got = byName.get(name)!.dataSync();
    const want = expected[name];
    if (!want || want.length !== got.length) throw new Error(`reference lacks ${name} or its size differs`);
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  return worst;
}
