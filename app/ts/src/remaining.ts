// Anchor's remaining accounts are not part of the IDL, so the generated
// builders cannot add them: trades, withdrawals and liquidations list the
// markets (and their oracle accounts) that value the rest of the account,
// read-only, after the named accounts; a bankruptcy's claim markets are
// written.
import { AccountRole, type AccountMeta, type Address, type Instruction } from '@solana/kit';

/** `instruction` with `addresses` appended, read-only unless `role` says
 * otherwise: `resolve_bankruptcy` lists the markets whose claims it
 * writes off as writable remaining accounts. */
export function withRemainingAccounts<T extends Instruction>(
  instruction: T,
  addresses: readonly Address[],
  role: AccountRole.READONLY | AccountRole.WRITABLE = AccountRole.READONLY,
): T {
  const extra: AccountMeta[] = addresses.map((address) => ({ address, role }));
  return { ...instruction, accounts: [...(instruction.accounts ?? []), ...extra] };
}
