// PDAs the generated code does not derive: a market's address is seeded
// by its index (u16, little endian), which the IDL names only through an
// instruction argument. The others are re-exported from the generated
// `pdas` (exchange, vault, insurance vault, trader account, stake,
// proposal).
import {
  address,
  getAddressEncoder,
  getProgramDerivedAddress,
  getU16Encoder,
  type Address,
  type ProgramDerivedAddress,
} from '@solana/kit';
import { VAMM_PROGRAM_ADDRESS } from './generated/programs/index';

const MARKET_SEED = new TextEncoder().encode('market');

/** The market listed at `marketIndex` (0-based, `u16`). */
export async function findMarketPda(
  marketIndex: number,
  config: { programAddress?: Address } = {},
): Promise<ProgramDerivedAddress> {
  if (!Number.isInteger(marketIndex) || marketIndex < 0 || marketIndex > 0xffff) {
    throw new RangeError(`market index ${marketIndex} is not a u16`);
  }
  return getProgramDerivedAddress({
    programAddress: config.programAddress ?? VAMM_PROGRAM_ADDRESS,
    seeds: [MARKET_SEED, getU16Encoder().encode(marketIndex)],
  });
}

export const TOKEN_PROGRAM_ADDRESS = address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA');
export const ASSOCIATED_TOKEN_PROGRAM_ADDRESS = address('ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL');

/** `owner`'s associated token account for `mint` (SPL Token): where a
 * wallet holds its USDC, the source of deposits and the destination of
 * withdrawals. */
export async function findAssociatedTokenAddress(owner: Address, mint: Address): Promise<Address> {
  const encoder = getAddressEncoder();
  const [ata] = await getProgramDerivedAddress({
    programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
    seeds: [encoder.encode(owner), encoder.encode(TOKEN_PROGRAM_ADDRESS), encoder.encode(mint)],
  });
  return ata;
}
