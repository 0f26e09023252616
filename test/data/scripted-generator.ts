/**
 * A Generator that returns draws recorded elsewhere (from torch in the Python reference), so a random
 * transform can be run with exactly the parameters torchvision drew. Each call checks that it asks for
 * the same kind of draw over the same range as the recording, so a transform that draws in a different
 * order or range than torchvision fails loudly instead of comparing unrelated outputs.
 */
import { Generator } from "../../kernel-lib/data/generator";

export type RecordedDraw =
  | { kind: "randint"; low: number; high: number; value: number }
  | { kind: "randperm"; n: number; value: number[] }
  | { kind: "uniform"; low: number; high: number; value: number }
  | { kind: "random"; value: number };

export class ScriptedGenerator extends Generator {
  private readonly draws: RecordedDraw[];
  private next = 0;

  constructor(draws: RecordedDraw[]) {
    super(0);
    this.draws = draws;
  }

  /** Draws the transform has not consumed (should be 0 after a matching run). */
  get remaining(): number {
    return this.draws.length - this.next;
  }

  private take(kind: RecordedDraw["kind"], describe: string): RecordedDraw {
    const draw = this.draws[this.next++];
    if (!draw || draw.kind !== kind) {
      throw new Error(`ScriptedGenerator: draw ${this.next - 1} is ${describe}, but torchvision recorded ${draw ? JSON.stringify(draw) : "no more draws"}`);
    }
    return draw;
  }

  override randint(low: number, high: number): number {
    const draw = this.take("randint", `randint(${low}, ${high})`);
    if (draw.kind !== "randint" || draw.low !== low || draw.high !== high) throw new Error(`ScriptedGenerator: randint(${low}, ${high}) where torchvision drew ${JSON.stringify(draw)}`);
    return draw.value;
  }

  override randperm(n: number): Int32Array {
    const draw = this.take("randperm", `randperm(${n})`);
    if (draw.kind !== "randperm" || draw.n !== n) throw new Error(`ScriptedGenerator: randperm(${n}) where torchvision drew ${JSON.stringify(draw)}`);
    return Int32Array.from(draw.value);
  }

  override uniform(low: number, high: number): number {
    const draw = this.take("uniform", `uniform(${low}, ${high})`);
    if (draw.kind !== "uniform" || Math.abs(draw.low - low) > 1e-6 || Math.abs(draw.high - high) > 1e-6) {
      throw new Error(`ScriptedGenerator: uniform(${low}, ${high}) where torchvision drew ${JSON.stringify(draw)}`);
    }
    return draw.value;
  }

  /** torch.rand(1): uniform in [0, 1). */
  override random(): number {
    const draw = this.take("random", "random()");
    return draw.kind === "random" ? draw.value : NaN;
  }
}
