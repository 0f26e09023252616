/**
 * `npm run report [-- notebooks/01-x.ipynb ...] [--mode smoke|sample|full] [--out out/report]`
 *
 * Executes notebooks (all of notebooks/*.ipynb when none are named) through the project's kernel and
 * writes, per notebook, the executed .ipynb and a self-contained HTML write-up into out/report/, plus
 * an index.html linking them.
 * LAB_MODE comes from --mode, else the environment, else "sample". Exits 1 when a notebook failed
 * (the write-up is still written so the failure can be read in it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runMode } from "../env/run-mode";
import { writeHtmlReport } from "./html-report";
import { DEFAULT_REPO_ROOT, executeNotebook, notebookProblems } from "./notebook-runner";

interface ReportArguments {
  notebooks: string[];
  mode: string;
  outDir: string;
}

const USAGE = "usage: npm run report -- [notebook.ipynb ...] [--mode smoke|sample|full] [--out folder]";

export function parseReportArguments(argv: string[], env: NodeJS.ProcessEnv = process.env): ReportArguments {
  const notebooks: string[] = [];
  let mode: string | undefined;
  let outDir = path.join(DEFAULT_REPO_ROOT, "out", "report");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--mode" || arg === "--out") {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      if (arg === "--mode") mode = value;
      else outDir = path.resolve(value);
    } else if (arg === "--help" || arg === "-h") {
      throw new Error(USAGE);
    } else if (arg.startsWith("--")) {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    } else {
      notebooks.push(resolveNotebook(arg));
    }
  }
  if (notebooks.length === 0) notebooks.push(...allNotebooks());
  // Validated here so a typo fails before minutes of execution.
  const checkedMode = runMode({ LAB_MODE: mode ?? env.LAB_MODE });
  return { notebooks, mode: checkedMode, outDir };
}

function resolveNotebook(arg: string): string {
  const candidates = [path.resolve(arg), path.join(DEFAULT_REPO_ROOT, "notebooks", arg), path.join(DEFAULT_REPO_ROOT, "notebooks", `${arg}.ipynb`)];
  const found = candidates.find((candidate) => candidate.endsWith(".ipynb") && fs.existsSync(candidate));
  if (!found) throw new Error(`notebook ${arg} not found (looked for ${candidates.join(", ")})`);
  return found;
}

function allNotebooks(): string[] {
  const folder = path.join(DEFAULT_REPO_ROOT, "notebooks");
  const names = fs.existsSync(folder) ? fs.readdirSync(folder).filter((name) => name.endsWith(".ipynb")).sort() : [];
  if (names.length === 0) throw new Error(`no notebooks in ${folder}; name the notebooks to report on`);
  return names.map((name) => path.join(folder, name));
}

interface NotebookSummary {
  name: string;
  status: string;
}

/** out/report/index.html: one link per write-up with how its run went (written atomically). */
export function writeReportIndex(outDir: string, mode: string, summaries: NotebookSummary[]): string {
  const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const rows = summaries
    .map(({ name, status }) => `<li><a href="${encodeURIComponent(name)}.html">${escape(name)}</a> - ${escape(status)}</li>`)
    .join("\n");
  const html = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Notebook write-ups</title></head>\n` +
    `<body><h1>Notebook write-ups</h1><p>LAB_MODE=${escape(mode)}, ${escape(new Date().toISOString())}</p>\n<ul>\n${rows}\n</ul></body></html>\n`;
  const indexPath = path.join(outDir, "index.html");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(`${indexPath}.tmp`, html);
  fs.renameSync(`${indexPath}.tmp`, indexPath);
  return indexPath;
}

async function main(argv: string[]): Promise<number> {
  const args = parseReportArguments(argv);
  const summaries: NotebookSummary[] = [];
  let failed = 0;
  for (const notebookPath of args.notebooks) {
    const name = path.basename(notebookPath, ".ipynb");
    process.stdout.write(`${name}: executing with LAB_MODE=${args.mode} ...\n`);
    try {
      const executed = await executeNotebook({ notebookPath, outputDir: args.outDir, mode: args.mode });
      const page = await writeHtmlReport({ executedNotebookPath: executed.executedPath, htmlPath: path.join(args.outDir, `${name}.html`) });
      const problems = notebookProblems(executed.notebook);
      process.stdout.write(`${name}: ${executed.wallSeconds.toFixed(1)} s -> ${page.htmlPath} (+ ${executed.executedPath})\n`);
      summaries.push({ name, status: problems.length === 0 ? `ran cleanly in ${executed.wallSeconds.toFixed(0)} s` : `${problems.length} problem(s)` });
      if (problems.length > 0) {
        failed++;
        process.stdout.write(`${name}: ${problems.length} problem(s):\n${problems.map((p) => `  ${p.replace(/\n/g, "\n    ")}`).join("\n")}\n`);
      }
    } catch (error) {
      failed++;
      summaries.push({ name, status: "FAILED, no write-up" });
      process.stdout.write(`${name}: FAILED: ${(error as Error).message}\n`);
    }
  }
  writeReportIndex(args.outDir, args.mode, summaries);
  process.stdout.write(`report: ${args.notebooks.length - failed}/${args.notebooks.length} notebooks ran cleanly; pages in ${args.outDir}\n`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(2);
    },
  );
}
