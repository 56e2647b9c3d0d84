// The program's fixed-point precisions (programs/vamm/src/constants.rs) and
// exact conversions between native integers and decimal strings: amounts
// stay `bigint` end to end, never a float.

/** USDC (quote) amounts: 6 decimals. */
export const QUOTE_DECIMALS = 6;
/** Prices: 6 decimals (`PRICE_PRECISION` = 1e6). */
export const PRICE_DECIMALS = 6;
/** Base amounts: 9 decimals (`BASE_PRECISION` = 1e9). */
export const BASE_DECIMALS = 9;
/** Margin ratios: parts per million (`RATIO_PRECISION` = 1e6). */
export const RATIO_DECIMALS = 6;

/** `value` as a decimal string with `decimals` decimals, trailing zeros kept. */
export function formatFixed(value: bigint, decimals: number): string {
  const scale = 10n ** BigInt(decimals);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const whole = abs / scale;
  if (decimals === 0) return `${sign}${whole}`;
  const fraction = (abs % scale).toString().padStart(decimals, '0');
  return `${sign}${whole}.${fraction}`;
}

/** Parses a decimal string into an integer with `decimals` decimals,
 * refusing more precision than that (no silent rounding). */
export function parseFixed(text: string, decimals: number): bigint {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new SyntaxError(`'${text}' is not a decimal number`);
  }
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > decimals) {
    throw new RangeError(`'${text}' has more than ${decimals} decimals`);
  }
  const value = BigInt(whole || '0') * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  return sign === '-' ? -value : value;
}
