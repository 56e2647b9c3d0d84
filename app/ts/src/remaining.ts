// Anchor's remaining accounts are not part of the IDL, so the generated
// builders cannot add them: trades, withdrawals and liquidations list the
// markets (and their oracle accounts) that value the rest of the account,
// read-only, after the named accounts.
import { AccountRole, type AccountMeta, type Address, type Instruction } from '@solana/kit';

/** `instruction` with `addresses` appended as read-only accounts. */
export function withRemainingAccounts<T extends Instruction>(
  instruction: T,
  addresses: readonly Address[],
): T {
  const extra: AccountMeta[] = addresses.map((address) => ({ address, role: AccountRole.READONLY }));
  return { ...instruction, accounts: [...(instruction.accounts ?? []), ...extra] };
}
