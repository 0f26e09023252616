/**
 * What each notebook's outputs must contain after a headless LAB_MODE=smoke run (text of stdout, every
 * MIME type's data and errors, joined). Notebook authors: add your notebook here with a few regexes
 * that prove it did its job (a printed metric, a table heading), not just that it ran.
 */
export const notebookExpectations: Record<string, RegExp[]> = {
  "00-environment.ipynb": [/backend: /, /run \d: [\d.]+ ms on /],
};
