/**
 * ATen operators by schema name, resolved on first use. `aten("add", "Tensor")` is `aten::add.Tensor`;
 * arguments follow the schema positionally (trailing defaulted ones may be left out).
 */
import { addon, AtenArgument, AtenResult, TensorHandle } from "./native-addon";

export class AtenOperator {
  private operatorIndex = -1;

  constructor(readonly name: string, readonly overload: string) {}

  call(args: readonly AtenArgument[]): AtenResult {
    if (this.operatorIndex < 0) this.operatorIndex = addon().op(`aten::${this.name}`, this.overload);
    return addon().call(this.operatorIndex, args);
  }

  /** For operators with one Tensor result. */
  tensor(...args: AtenArgument[]): TensorHandle {
    const result = this.call(args);
    if (typeof result !== "number") throw new Error(`torch engine: aten::${this.name} returned ${JSON.stringify(result)}, expected one tensor`);
    return result;
  }

  /** For operators with several Tensor results (tuples, Tensor[]). */
  tensors(...args: AtenArgument[]): TensorHandle[] {
    const result = this.call(args);
    if (!Array.isArray(result)) throw new Error(`torch engine: aten::${this.name} returned one value, expected several`);
    return result as TensorHandle[];
  }
}

const operators = new Map<string, AtenOperator>();

export function aten(name: string, overload = ""): AtenOperator {
  const key = `${name}.${overload}`;
  let found = operators.get(key);
  if (!found) {
    found = new AtenOperator(name, overload);
    operators.set(key, found);
  }
  return found;
}
