/**
 * A minimal reader for Python pickles as torch.save writes them (protocol 2, and the protocol-4
 * opcodes newer Pythons emit). It builds plain JS values: dict/OrderedDict → Map, list/tuple →
 * array, str → string, int → number (or bigint beyond 2^53), and leaves every `GLOBAL` reference
 * to a caller-supplied `resolveGlobal` so that only known constructors (OrderedDict,
 * torch._utils._rebuild_tensor_v2, storage classes) ever turn into values. Nothing is executed.
 */

/** A reference to a Python global (`module.name`) not turned into a value by the caller. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object built from a global the caller did not know (kept for error messages). */
export class PickleObject {
  state: unknown = undefined;
  constructor(readonly type: PickleGlobal, readonly args: unknown[]) {}
}

export type CallableGlobal = (args: unknown[]) => unknown;

export interface PickleHooks {
  /** Returns a function for callables to REDUCE, or undefined to keep a PickleGlobal. */
  resolveGlobal(module: string, name: string): CallableGlobal | PickleGlobal | undefined;
  /** Resolves a BINPERSID/PERSID id (torch: the storage tuple). */
  persistentLoad(pid: unknown): unknown;
}

class Mark {}
const MARK = new Mark();

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PickleError";
  }
}

export function unpickle(data: Uint8Array, hooks: PickleHooks, source = "pickle"): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const decoder = new TextDecoder("utf-8");
  const latin1 = new TextDecoder("latin1");
  let pos = 0;

  const fail = (message: string): never => {
    throw new PickleError(`${source}: ${message} at byte ${pos} (the file is corrupt or not a PyTorch checkpoint)`);
  };
  const need = (n: number): void => {
    if (pos + n > data.length) fail(`truncated pickle: needs ${n} more bytes`);
  };
  const u8 = (): number => {
    need(1);
    return data[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("length too large");
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail("unterminated text line");
    const text = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail("stack underflow");
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    let i = stack.length - 1;
    while (i >= 0 && stack[i] !== MARK) i--;
    if (i < 0) fail("MARK not found");
    const items = stack.splice(i + 1);
    stack.pop();
    return items;
  };
  const top = (): unknown => {
    if (stack.length === 0) fail("stack underflow");
    return stack[stack.length - 1];
  };
  const global = (module: string, name: string): unknown => hooks.resolveGlobal(module, name) ?? new PickleGlobal(module, name);
  const setItem = (target: unknown, key: unknown, value: unknown): void => {
    if (target instanceof Map) target.set(key, value);
    else if (target instanceof PickleObject) {
      // dict subclasses built by unknown globals: keep the items on the state.
      if (!(target.state instanceof Map)) target.state = new Map();
      (target.state as Map<unknown, unknown>).set(key, value);
    } else fail("SETITEM on a non-dict");
  };
  const longFromBytes = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    let value = BigInt(0);
    for (let i = raw.length - 1; i >= 0; i--) value = (value << BigInt(8)) | BigInt(raw[i]);
    if (raw[raw.length - 1] & 0x80) value -= BigInt(1) << BigInt(8 * raw.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };

  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(longFromBytes(bytes(u8()))); break; // LONG1
      case 0x8b: stack.push(longFromBytes(bytes(u32()))); break; // LONG4
      case 0x49: { // INT
        const text = line();
        stack.push(text === "01" ? true : text === "00" ? false : Number.parseInt(text, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(line().replace(/L$/, ""), 10)); break; // LONG
      case 0x47: { // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT
      case 0x58: stack.push(decoder.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(decoder.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(decoder.decode(bytes(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x54: stack.push(latin1.decode(bytes(u32()))); break; // BINSTRING
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x53: stack.push(line().replace(/^['"]|['"]$/g, "")); break; // STRING
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x64: { // DICT
        const items = popMark();
        const map = new Map<unknown, unknown>();
        for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i], items[i + 1]);
        stack.push(map);
        break;
      }
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x61: { const value = pop(); const list = top(); if (!Array.isArray(list)) fail("APPEND on a non-list"); (list as unknown[]).push(value); break; }
      case 0x65: { const items = popMark(); const list = top(); if (!Array.isArray(list)) fail("APPENDS on a non-list"); (list as unknown[]).push(...items); break; }
      case 0x90: { const items = popMark(); const set = top(); if (set instanceof Set) items.forEach((item) => set.add(item)); break; } // ADDITEMS
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
      case 0x73: { const value = pop(); const key = pop(); setItem(top(), key, value); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const target = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(target, items[i], items[i + 1]);
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(Number.parseInt(line(), 10), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const index = opcode === 0x68 ? u8() : opcode === 0x6a ? u32() : Number.parseInt(line(), 10);
        if (!memo.has(index)) fail(`memo entry ${index} missing`);
        stack.push(memo.get(index));
        break;
      }
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); stack.push(global(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x50: stack.push(hooks.persistentLoad(line())); break; // PERSID
      case 0x52: case 0x81: { // REDUCE, NEWOBJ
        const args = pop();
        const callable = pop();
        if (!Array.isArray(args)) fail("REDUCE arguments are not a tuple");
        if (typeof callable === "function") stack.push((callable as CallableGlobal)(args as unknown[]));
        else if (callable instanceof PickleGlobal) stack.push(new PickleObject(callable, args as unknown[]));
        else fail("REDUCE on a non-callable");
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        // OrderedDict's state carries torch's `_metadata` (module versions); not needed to load.
        if (target instanceof PickleObject) target.state = state;
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${opcode.toString(16)}`);
    }
  }
}
