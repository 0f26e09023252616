import { test } from "node:test";
import assert from "node:assert/strict";
import { CellHistory } from "../../jupyter/cell-history";

function sample(): CellHistory {
  const history = new CellHistory();
  ["a = 1", "6 * 7", "b = 2", "6 * 7", "6 * 8"].forEach((input, i) => history.add(i + 1, input, i === 1 ? "42" : undefined));
  return history;
}

test("tail returns the last n inputs, with outputs when asked", () => {
  assert.deepEqual(sample().answer({ hist_access_type: "tail", n: 2 }), [[1, 4, "6 * 7"], [1, 5, "6 * 8"]]);
  assert.deepEqual(sample().answer({ hist_access_type: "tail", n: 4, output: true })[0], [1, 2, ["6 * 7", "42"]]);
});

test("range selects lines start <= line < stop of this session only", () => {
  assert.deepEqual(sample().answer({ hist_access_type: "range", session: 1, start: 2, stop: 4 }), [[1, 2, "6 * 7"], [1, 3, "b = 2"]]);
  assert.deepEqual(sample().answer({ hist_access_type: "range", session: 7, start: 1, stop: 9 }), []);
});

test("search matches shell globs over the whole input; unique keeps the latest of each; n keeps the last", () => {
  assert.deepEqual(sample().answer({ hist_access_type: "search", pattern: "6 * ?" }).map((e) => e[1]), [2, 4, 5]);
  assert.deepEqual(sample().answer({ hist_access_type: "search", pattern: "6 * ?", unique: true }).map((e) => e[1]), [4, 5]);
  assert.deepEqual(sample().answer({ hist_access_type: "search", pattern: "*=*", n: 1 }).map((e) => e[1]), [3]);
  assert.deepEqual(sample().answer({ hist_access_type: "search", pattern: "6 (" }), []);
});
