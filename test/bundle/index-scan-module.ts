/**
 * The WebAssembly module of src/bundle/index-scan.ts, assembled from readable instructions (the
 * source keeps only the bytes, so that start-up does not assemble them). It defines and exports
 * its memory ("memory", one page to start with; the caller grows it) and three functions over
 * records of u32 words copied into it.
 */
import { F64, I32, I64, MAGIC_AND_VERSION, body, funcType, name, op, section } from "../helpers/wasm-assembler";

/**
 * sum(p, n, stride, total) -> f64: `total` plus the words at p, p + stride, ... (n of them), each
 * added as a double, in order, as a JavaScript loop adds them.
 * Locals: 0 p, 1 n (then: end), 2 stride, 3 total.
 */
function sumBody(): number[] {
  const [p, end, stride, total] = [0, 1, 2, 3];
  return body([], [
    ...op.get(p), ...op.get(1), ...op.get(stride), ...op.mul, ...op.add, ...op.set(end),
    ...op.blockLoop,
    ...op.get(p), ...op.get(end), ...op.geU, ...op.brIf(1),
    ...op.get(total), ...op.get(p), ...op.load(0), ...op.f64FromU32, ...op.addF64, ...op.set(total),
    ...op.get(p), ...op.get(stride), ...op.add, ...op.set(p),
    ...op.br(0),
    ...op.endEnd,
    ...op.get(total),
    ...op.end,
  ]);
}

/**
 * nonZero(p, n, stride, out) -> count: the numbers k < n of the records whose word at
 * p + k * stride is not 0, written as words from `out` on, in order.
 * Locals: 0 p, 1 n, 2 stride, 3 out, 4 k, 5 count.
 */
function nonZeroBody(): number[] {
  const [p, n, stride, out, k, count] = [0, 1, 2, 3, 4, 5];
  return body([[2, I32]], [
    ...op.blockLoop,
    ...op.get(k), ...op.get(n), ...op.geU, ...op.brIf(1),
    ...op.get(p), ...op.load(0), ...op.if,
    ...op.get(out), ...op.get(k), ...op.store(0),
    ...op.get(out), ...op.const(4), ...op.add, ...op.set(out),
    ...op.get(count), ...op.const(1), ...op.add, ...op.set(count),
    ...op.end,
    ...op.get(p), ...op.get(stride), ...op.add, ...op.set(p),
    ...op.get(k), ...op.const(1), ...op.add, ...op.set(k),
    ...op.br(0),
    ...op.endEnd,
    ...op.get(count),
    ...op.end,
  ]);
}

/**
 * tile(p, n, named, members) -> the number of the first of the n MODULES records (9 words each)
 * that breaks a rule of ModuleTables.checkListsTile, or n when none does: its member (word 2),
 * when below `members`, must not be marked yet in the byte table at `named` (it is marked then);
 * its dependency list (words 3, 4) must start where the previous one ended (the first at 0), its
 * softdep list (words 5, 6) where the previous weakdep list ended, its weakdep list (words 7, 8)
 * where its softdep list ends. The running ends are 64-bit: they never wrap.
 * Locals: 0 p, 1 n, 2 named, 3 members, 4 i, 5 member, 6 deps, 7 strings, 8 weak start.
 */
function tileBody(): number[] {
  const [p, n, named, members, i, member, deps, strings, weakStart] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const failUnless = (differs: number[]): number[] => [...differs, ...op.if, ...op.get(i), ...op.return, ...op.end];
  return body([[2, I32], [3, I64]], [
    ...op.blockLoop,
    ...op.get(i), ...op.get(n), ...op.geU, ...op.brIf(1),
    ...op.get(p), ...op.load(8), ...op.set(member),
    ...op.get(member), ...op.get(members), ...op.ltU, ...op.if,
    ...failUnless([...op.get(named), ...op.get(member), ...op.add, ...op.load8(0)]),
    ...op.get(named), ...op.get(member), ...op.add, ...op.const(1), ...op.store8(0),
    ...op.end,
    ...failUnless([...op.get(p), ...op.load64u32(12), ...op.get(deps), ...op.ne64]),
    ...failUnless([...op.get(p), ...op.load64u32(20), ...op.get(strings), ...op.ne64]),
    ...op.get(p), ...op.load64u32(28), ...op.set(weakStart),
    ...failUnless([...op.get(weakStart), ...op.get(strings), ...op.get(p), ...op.load64u32(24), ...op.add64, ...op.ne64]),
    ...op.get(deps), ...op.get(p), ...op.load64u32(16), ...op.add64, ...op.set(deps),
    ...op.get(weakStart), ...op.get(p), ...op.load64u32(32), ...op.add64, ...op.set(strings),
    ...op.get(p), ...op.const(36), ...op.add, ...op.set(p),
    ...op.get(i), ...op.const(1), ...op.add, ...op.set(i),
    ...op.br(0),
    ...op.endEnd,
    ...op.get(n),
    ...op.end,
  ]);
}

export function scanModuleBytes(): Uint8Array {
  return new Uint8Array([
    ...MAGIC_AND_VERSION,
    ...section(1, [2, ...funcType([I32, I32, I32, F64], [F64]), ...funcType([I32, I32, I32, I32], [I32])]),
    ...section(3, [3, 0, 1, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [4, ...name("memory"), 0x02, 0, ...name("sum"), 0x00, 0, ...name("nonZero"), 0x00, 1, ...name("tile"), 0x00, 2]),
    ...section(10, [3, ...sumBody(), ...nonZeroBody(), ...tileBody()]),
  ]);
}
