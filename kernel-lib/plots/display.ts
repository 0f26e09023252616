/**
 * Rich output that works both in the notebook kernel and in a terminal.
 *
 * tslab's own `display` sends one MIME type per message; a proper Jupyter output carries a bundle
 * (HTML for the live notebook, PNG for exports where scripts do not run, plain text always). Our kernel
 * wrapper (jupyter/kernel.ts) installs `globalThis.__kernelLibDisplay`, which sends a whole bundle as
 * `display_data` / `update_display_data` for the cell that is running. Without it (tests, scripts)
 * output falls back to plain text on stdout.
 */
export interface MimeBundle {
  "text/plain": string;
  "text/html"?: string;
  /** base64-encoded PNG */
  "image/png"?: string;
  [mimeType: string]: string | undefined;
}

/** Signature of the hook the kernel installs; `update` re-renders an earlier output with the same id. */
export type KernelDisplayHook = (bundle: MimeBundle, displayId?: string, update?: boolean) => void;

interface KernelGlobals {
  __kernelLibDisplay?: KernelDisplayHook;
}

function kernelHook(): KernelDisplayHook | undefined {
  return (globalThis as KernelGlobals).__kernelLibDisplay;
}

/** True when running inside the project's Jupyter kernel (rich outputs are shown). */
export function inNotebook(): boolean {
  return kernelHook() !== undefined;
}

/** Shows a bundle once: as a notebook output, or its text on stdout. */
export function display(bundle: MimeBundle): void {
  const hook = kernelHook();
  if (hook) hook(stripEmpty(bundle));
  else process.stdout.write(ensureNewline(bundle["text/plain"]));
}

/** An output that can be replaced in place (progress bars, live tables). */
export interface LiveDisplay {
  update(bundle: MimeBundle): void;
}

let nextDisplayNumber = 0;

/**
 * A display whose later `update`s replace the first output in the notebook. In a terminal each update
 * is printed only when `terminalUpdates` is true (callers that draw their own terminal bars pass false).
 */
export function newDisplay(terminalUpdates = true): LiveDisplay {
  const displayId = `kernel-lib-${process.pid}-${++nextDisplayNumber}`;
  let shown = false;
  return {
    update(bundle: MimeBundle): void {
      const hook = kernelHook();
      if (hook) {
        hook(stripEmpty(bundle), displayId, shown);
        shown = true;
      } else if (terminalUpdates) {
        process.stdout.write(ensureNewline(bundle["text/plain"]));
      }
    },
  };
}

function stripEmpty(bundle: MimeBundle): MimeBundle {
  const out: MimeBundle = { "text/plain": bundle["text/plain"] };
  for (const [mime, value] of Object.entries(bundle)) if (value !== undefined) out[mime] = value;
  return out;
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
