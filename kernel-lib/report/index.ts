export {
  KERNEL_NAME,
  executeNotebook,
  readNotebook,
  assertUsesProjectKernel,
  notebookProblems,
  allOutputText,
  outputText,
  type Notebook,
  type NotebookCell,
  type NotebookOutput,
  type ExecuteNotebookOptions,
  type ExecutedNotebook,
} from "./notebook-runner";
export { writeHtmlReport, withoutExternalScripts, type HtmlReportOptions } from "./html-report";
export * from "./results-table";
