// Checked integer arithmetic as the program does it
// (programs/vamm/src/math/safe.rs). Every value is a `bigint`; each
// result is checked against the width of the Rust type it has on chain,
// so a computation fails where the program's would, with the program's
// error name, and never silently wraps or loses precision to a float.
// Operands are not checked here: the entry points (`previewTrade`, ...)
// refuse inputs the program's types could not hold.

/** A preview failed where the program would fail: `code` is the program
 * error's name (`MathOverflow`, `AmmRangeExceeded`, `TradeTooSmall`, ...). */
export class VammMathError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.name = 'VammMathError';
    this.code = code;
  }
}

export function fail(code: string): never {
  throw new VammMathError(code);
}

export const U64_MAX = (1n << 64n) - 1n;
export const U128_MAX = (1n << 128n) - 1n;
export const U256_MAX = (1n << 256n) - 1n;
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;
export const I128_MIN = -(1n << 127n);
export const I128_MAX = (1n << 127n) - 1n;

/** The integer types the program computes in. */
export type IntType = 'u64' | 'u128' | 'u256' | 'i64' | 'i128';

const BOUNDS: Record<IntType, readonly [bigint, bigint]> = {
  u64: [0n, U64_MAX],
  u128: [0n, U128_MAX],
  u256: [0n, U256_MAX],
  i64: [I64_MIN, I64_MAX],
  i128: [I128_MIN, I128_MAX],
};

function inRange(value: bigint, type: IntType): boolean {
  const [min, max] = BOUNDS[type];
  return value >= min && value <= max;
}

/** `checked_*` of Rust: out of `type`'s range is `MathOverflow`. */
export function checked(value: bigint, type: IntType): bigint {
  return inRange(value, type) ? value : fail('MathOverflow');
}

export const add = (a: bigint, b: bigint, type: IntType): bigint => checked(a + b, type);
export const sub = (a: bigint, b: bigint, type: IntType): bigint => checked(a - b, type);
export const mul = (a: bigint, b: bigint, type: IntType): bigint => checked(a * b, type);

/** `safe_div`: zero is `DivisionByZero`; truncates toward zero as Rust does. */
export function div(a: bigint, b: bigint, type: IntType): bigint {
  if (b === 0n) fail('DivisionByZero');
  return checked(a / b, type);
}

/** `to_u64` / `to_i64` / `u256_to_u128`: a value that does not fit is `CastOverflow`. */
export function cast(value: bigint, type: IntType): bigint {
  return inRange(value, type) ? value : fail('CastOverflow');
}

export const toU64 = (value: bigint): bigint => cast(value, 'u64');
export const toI64 = (value: bigint): bigint => cast(value, 'i64');

/** `ceil(numerator / denominator)` for unsigned 256-bit values. */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  const quotient = div(numerator, denominator, 'u256');
  return quotient * denominator === numerator ? quotient : add(quotient, 1n, 'u256');
}

/** `a * b / c` computed in 256 bits, rounded down or up; the result must
 * fit a u128 (`mul_div_u128`). */
export function mulDiv(a: bigint, b: bigint, c: bigint, roundUp: boolean): bigint {
  const product = mul(a, b, 'u256');
  const quotient = roundUp ? divCeil(product, c) : div(product, c, 'u256');
  return cast(quotient, 'u128');
}

/** `mul_div_u64`: `mulDiv` whose result must fit a u64. */
export const mulDivU64 = (a: bigint, b: bigint, c: bigint, roundUp: boolean): bigint =>
  toU64(mulDiv(a, b, c, roundUp));

/** Integer square root rounded down, by the program's own Newton iteration. */
export function isqrt(value: bigint): bigint {
  if (value < 0n) fail('MathOverflow');
  if (value === 0n) return 0n;
  let x = 1n << BigInt(Math.ceil(value.toString(2).length / 2));
  for (;;) {
    const y = (x + value / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const abs = (a: bigint): bigint => (a < 0n ? -a : a);

/** `saturating_sub` / `saturating_add` of a Rust type. */
export function saturating(value: bigint, type: IntType): bigint {
  const [lo, hi] = BOUNDS[type];
  return value < lo ? lo : value > hi ? hi : value;
}
