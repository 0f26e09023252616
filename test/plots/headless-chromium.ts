/** Debian's headless Chromium for the chart tests: install-or-explain, and one-shot page runs. */
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import sharp from "sharp";

export const CHROMIUM = "/usr/bin/chromium";

/** Installs Debian's chromium when missing (CI runs as root); returns why the test cannot run otherwise. */
export function chromiumMissing(testName: string): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined;
  console.error(`\n!!! ${CHROMIUM} missing: installing Debian's chromium (apt-get install -y --no-install-recommends chromium)\n`);
  const install = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { stdio: "inherit" });
  if (install.status === 0 && fs.existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is missing and apt-get install chromium failed (status ${install.status}); install it as root`;
  console.error(`\n!!! SKIPPING ${testName}: ${reason}\n`);
  return reason;
}

/** Runs Chromium once on `url` (a fresh profile under `scratch`); resolves with stdout (the DOM for --dump-dom). */
export function runChromium(scratch: string, extraArgs: string[], url: string, virtualTimeBudgetMs = 15_000): Promise<string> {
  const profile = fs.mkdtempSync(path.join(scratch, "profile-"));
  // Without the background-networking flags Chromium keeps dialling Google on this offline machine.
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    `--user-data-dir=${profile}`,
    // Virtual time lets the charts' "wait for window.Plotly" timers run without real waiting.
    `--virtual-time-budget=${virtualTimeBudgetMs}`,
    ...extraArgs,
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 120_000, maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface ScreenshotStats {
  width: number;
  height: number;
  /** Pixels that are not near-white. */
  drawnPixels: number;
  /** Pixels within 16 per channel of `color`. */
  colorPixels: number;
}

export async function screenshotStats(file: string, color: string): Promise<ScreenshotStats> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = [1, 3, 5].map((start) => parseInt(color.slice(start, start + 2), 16));
  let drawnPixels = 0;
  let colorPixels = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) drawnPixels++;
    if (Math.abs(data[i] - r) < 16 && Math.abs(data[i + 1] - g) < 16 && Math.abs(data[i + 2] - b) < 16) colorPixels++;
  }
  return { width: info.width, height: info.height, drawnPixels, colorPixels };
}

/** The chart divs of a dumped DOM, each cut before its own script (plotly adds classes after ours). */
export function chartDivs(dom: string): string[] {
  return dom
    .split('class="kernel-lib-chart')
    .slice(1)
    .map((chunk) => chunk.slice(0, chunk.indexOf("<script")));
}
