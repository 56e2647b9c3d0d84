// Program errors decoded to their name and message, from a custom error
// code, a `SolanaError` a failed send or simulation throws, or a
// transaction's log lines (Anchor logs `Error Code: <name>. Error Number:
// <code>`). Names and messages come from the generated table (the IDL's
// errors, which CI keeps in sync with the program).
import { isSolanaError, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, type Address } from '@solana/kit';
import * as generatedErrors from './generated/errors/vamm';
import { getVammErrorMessage, isVammError, VAMM_PROGRAM_ADDRESS, type VammError } from './generated/index';

/** A program error. */
export interface ProgramErrorInfo {
  code: number;
  name: string;
  message: string;
}

// The program's name for each code, from the generated constants:
// VAMM_ERROR__MATH_OVERFLOW -> MathOverflow.
const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(generatedErrors as Record<string, unknown>).flatMap(([constant, code]) =>
    constant.startsWith('VAMM_ERROR__') && typeof code === 'number'
      ? [[code, camelName(constant.slice('VAMM_ERROR__'.length))] as const]
      : [],
  ),
);

function camelName(constant: string): string {
  return constant
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** The program error with `code`, or `null` when it is not one of the program's. */
export function describeProgramError(code: number): ProgramErrorInfo | null {
  const name = NAMES.get(code);
  if (name === undefined) return null;
  return { code, name, message: getVammErrorMessage(code as VammError) };
}

/** The program error behind `error` (a `SolanaError` from a failed send or
 * simulation, with its custom code or its logs), or `null`. A bare custom
 * code does not say which program raised it: pass the transaction's
 * message to attribute it only when the failing instruction is this
 * program's (as the generated `isVammError` does). */
export function decodeProgramError(
  error: unknown,
  transactionMessage?: { instructions: Record<number, { programAddress: Address }> },
): ProgramErrorInfo | null {
  if (isSolanaError(error, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) {
    if (transactionMessage && !isVammError(error, transactionMessage)) return null;
    return describeProgramError(Number(error.context.code));
  }
  if (isSolanaError(error)) {
    const context = error.context as { logs?: unknown };
    if (Array.isArray(context.logs)) {
      const fromLogs = programErrorFromLogs(context.logs.filter((l): l is string => typeof l === 'string'));
      if (fromLogs) return fromLogs;
    }
    if (error.cause !== undefined) return decodeProgramError(error.cause, transactionMessage);
  }
  return null;
}

/** The error this program reported in a transaction's logs (Anchor's
 * `Error Number:` line or the runtime's `custom program error: 0x...`),
 * or `null`. Lines are attributed by the runtime's `Program <id> invoke`
 * and `success`/`failed` lines, so another program's error (a CPI's, a
 * second instruction's) is not read as this program's. */
export function programErrorFromLogs(logs: readonly string[], programAddress: Address = VAMM_PROGRAM_ADDRESS): ProgramErrorInfo | null {
  const running: string[] = [];
  for (const line of logs) {
    const invoke = /^Program (\w+) invoke \[\d+\]/.exec(line);
    if (invoke) {
      running.push(invoke[1] ?? '');
      continue;
    }
    const failed = /^Program (\w+) failed: custom program error: 0x([0-9a-fA-F]+)/.exec(line);
    if (failed) {
      if (failed[1] === programAddress) return describeProgramError(Number.parseInt(failed[2] ?? '', 16));
      running.pop();
      continue;
    }
    if (/^Program \w+ (success|failed)/.test(line)) {
      running.pop();
      continue;
    }
    const anchor = /Error Number: (\d+)\./.exec(line);
    // Logs without invoke lines (a trimmed simulation) count as this program's.
    const current = running.length === 0 ? programAddress : running[running.length - 1];
    if (anchor && current === programAddress) return describeProgramError(Number(anchor[1]));
  }
  return null;
}
