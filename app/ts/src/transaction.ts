// Transactions with the compute-budget instructions first (a unit limit,
// and a priority fee when one is set), then the program's instructions, in
// a version-0 message compressed against the exchange's address lookup
// table when one is given, checked against the packet limit before
// anything is sent. (The Rust client sends a legacy message when no table
// makes it smaller; a version-0 message without a table is 2 bytes larger.)
import {
  address,
  appendTransactionMessageInstructions,
  compileTransaction,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  getTransactionSize,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Instruction,
  type TransactionSigner,
  type TransactionMessageWithBlockhashLifetime,
} from '@solana/kit';

export const COMPUTE_BUDGET_PROGRAM_ADDRESS = address('ComputeBudget111111111111111111111111111111');
/** The most compute units one transaction may use. */
export const MAX_COMPUTE_UNITS = 1_400_000;
/** The most bytes a serialized transaction may have (1,280 - 40 - 8). */
export const PACKET_DATA_SIZE = 1_232;

/** `ComputeBudgetInstruction::SetComputeUnitLimit`: tag 2, then the limit (u32 LE). */
export function setComputeUnitLimitInstruction(units: number): Instruction {
  if (!Number.isInteger(units) || units < 0 || units > MAX_COMPUTE_UNITS) {
    throw new RangeError(`compute-unit limit ${units} is not in [0, ${MAX_COMPUTE_UNITS}]`);
  }
  const data = new Uint8Array(5);
  data[0] = 2;
  new DataView(data.buffer).setUint32(1, units, true);
  return { programAddress: COMPUTE_BUDGET_PROGRAM_ADDRESS, accounts: [], data };
}

/** `ComputeBudgetInstruction::SetComputeUnitPrice`: tag 3, then micro-lamports per unit (u64 LE). */
export function setComputeUnitPriceInstruction(microLamportsPerUnit: bigint): Instruction {
  if (microLamportsPerUnit < 0n || microLamportsPerUnit >= 1n << 64n) {
    throw new RangeError(`compute-unit price ${microLamportsPerUnit} is not a u64`);
  }
  const data = new Uint8Array(9);
  data[0] = 3;
  new DataView(data.buffer).setBigUint64(1, microLamportsPerUnit, true);
  return { programAddress: COMPUTE_BUDGET_PROGRAM_ADDRESS, accounts: [], data };
}

/** What a transaction asks of the scheduler. */
export interface ComputeBudget {
  /** Compute units the transaction may use, at most 1,400,000. */
  unitLimit: number;
  /** Priority fee, micro-lamports per compute unit; 0 adds no price instruction. */
  microLamportsPerUnit?: bigint;
}

/** The budget's instructions: the limit, then the price when it is not 0. */
export function computeBudgetInstructions(budget: ComputeBudget): Instruction[] {
  const out = [setComputeUnitLimitInstruction(budget.unitLimit)];
  const price = budget.microLamportsPerUnit ?? 0n;
  if (price !== 0n) out.push(setComputeUnitPriceInstruction(price));
  return out;
}

export interface TransactionPlan {
  /** A signer (it signs with the other signers) or an address (signed elsewhere). */
  feePayer: Address | TransactionSigner;
  instructions: readonly Instruction[];
  budget: ComputeBudget;
  /** From `getLatestBlockhash`. */
  lifetime: TransactionMessageWithBlockhashLifetime['lifetimeConstraint'];
  /** The exchange's lookup table (`exchange.lookupTable`) and the
   * addresses it holds, to compress the message against. */
  lookupTable?: { address: Address; addresses: readonly Address[] };
}

/** A version-0 message: the budget's instructions first, then `instructions`. */
export function buildTransactionMessage(plan: TransactionPlan) {
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) =>
      typeof plan.feePayer === 'string'
        ? setTransactionMessageFeePayer(plan.feePayer, m)
        : setTransactionMessageFeePayerSigner(plan.feePayer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(plan.lifetime, m),
    (m) => appendTransactionMessageInstructions([...computeBudgetInstructions(plan.budget), ...plan.instructions], m),
  );
  if (!plan.lookupTable) return message;
  return compressTransactionMessageUsingAddressLookupTables(message, {
    [plan.lookupTable.address]: [...plan.lookupTable.addresses],
  });
}

/** Serialized size of the message's transaction, signatures included:
 * above `PACKET_DATA_SIZE` a cluster drops it. */
export function transactionSize(message: ReturnType<typeof buildTransactionMessage>): number {
  return getTransactionSize(compileTransaction(message));
}

/** Throws when the transaction would not fit one packet. */
export function assertFitsPacket(message: ReturnType<typeof buildTransactionMessage>): void {
  const size = transactionSize(message);
  if (size > PACKET_DATA_SIZE) {
    throw new RangeError(`transaction is ${size} bytes, above the ${PACKET_DATA_SIZE}-byte packet limit`);
  }
}

