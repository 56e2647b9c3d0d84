//! The exchange's address lookup table: the shared accounts every trader
//! and keeper instruction names (exchange, vaults, mint, programs, each
//! market and its oracles), so a version-0 message names each with a
//! one-byte index instead of its 32-byte key. The exchange account points
//! at the table (`set_lookup_table`); clients load it from there.

use crate::ix;
use crate::transport::{ClientError, ClientResult, Transport};
use crate::valuation::{fetch_exchange, fetch_markets};
use solana_address_lookup_table_interface::instruction::{create_lookup_table, extend_lookup_table};
use solana_address_lookup_table_interface::state::{AddressLookupTable, LOOKUP_TABLE_MAX_ADDRESSES};
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::constants::ADDRESS_LOOKUP_TABLE_PROGRAM;
use vamm::state::Exchange;

/// Addresses added per extension: 20 keys keep the transaction well under
/// the packet limit with a separate fee payer.
pub const EXTEND_CHUNK: usize = 20;

/// The SlotHashes sysvar: a table is derived from a recent slot in it.
const SLOT_HASHES: Pubkey = solana_pubkey::pubkey!("SysvarS1otHashes111111111111111111111111111");

/// Every shared address a table should hold for `exchange` and its
/// `markets` (market address and oracle keys), in a stable order: the
/// exchange's accounts first, then market by market.
pub fn shared_addresses(exchange: &Exchange, markets: &[(Pubkey, Vec<Pubkey>)]) -> Vec<Pubkey> {
    let mut out = vec![
        ix::exchange_pda(),
        exchange.vault,
        exchange.insurance_vault,
        exchange.collateral_mint,
        spl_token_interface::ID,
        solana_system_interface::program::ID,
    ];
    if exchange.treasury != Pubkey::default() {
        out.push(exchange.treasury);
    }
    for (market, oracles) in markets {
        out.push(*market);
        out.extend(oracles.iter().copied());
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|key| seen.insert(*key));
    out
}

/// The table `exchange` points at, as a message compiler needs it; `None`
/// when no table is set or the account is not a table (clients then send
/// legacy messages, which still work for small accounts).
pub async fn load<T: Transport>(transport: &mut T) -> ClientResult<Option<AddressLookupTableAccount>> {
    let exchange = fetch_exchange(transport).await?;
    if exchange.lookup_table == Pubkey::default() {
        return Ok(None);
    }
    fetch(transport, &exchange.lookup_table).await
}

/// Loads the exchange's table into `transport` (none when unset); returns
/// how many addresses it holds.
pub async fn use_exchange_table<T: Transport>(transport: &mut T) -> ClientResult<usize> {
    let table = load(transport).await?;
    let held = table.as_ref().map_or(0, |t| t.addresses.len());
    transport.set_lookup_tables(table.into_iter().collect());
    Ok(held)
}

/// The table at `address`, its authority, and whether it is still active
/// (not being deactivated); `None` if there is no table there.
async fn read<T: Transport>(
    transport: &mut T,
    address: &Pubkey,
) -> ClientResult<Option<(AddressLookupTableAccount, Option<Pubkey>, bool)>> {
    let Some(account) = transport.account(address).await? else { return Ok(None) };
    if account.owner != ADDRESS_LOOKUP_TABLE_PROGRAM {
        return Ok(None);
    }
    let table = AddressLookupTable::deserialize(&account.data)
        .map_err(|e| ClientError::Transport(format!("lookup table {address}: {e}")))?;
    let active = table.meta.deactivation_slot == u64::MAX;
    let addresses = AddressLookupTableAccount { key: *address, addresses: table.addresses.to_vec() };
    Ok(Some((addresses, table.meta.authority, active)))
}

/// The table at `address` with the key that may still extend it (`None`
/// once frozen or deactivated), or `None` if there is no table there.
async fn fetch_with_authority<T: Transport>(
    transport: &mut T,
    address: &Pubkey,
) -> ClientResult<Option<(AddressLookupTableAccount, Option<Pubkey>)>> {
    // A deactivated table refuses extensions and is on its way to closing.
    Ok(read(transport, address)
        .await?
        .map(|(table, authority, active)| (table, authority.filter(|_| active))))
}

/// The table at `address`, `None` when there is none or it is being
/// deactivated (it would soon fail every transaction compiled against it).
pub async fn fetch<T: Transport>(
    transport: &mut T,
    address: &Pubkey,
) -> ClientResult<Option<AddressLookupTableAccount>> {
    Ok(read(transport, address).await?.and_then(|(table, _, active)| active.then_some(table)))
}

/// What [`sync`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    pub table: Pubkey,
    /// A new table was created and the exchange pointed at it.
    pub created: bool,
    /// Addresses appended this time.
    pub added: usize,
    /// Addresses the table holds now.
    pub held: usize,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let created = if self.created { "created " } else { "" };
        write!(f, "{created}{}: {} addresses added, {} held", self.table, self.added, self.held)
    }
}

/// Brings the exchange's table up to date, signed by the admin: creates
/// one and points the exchange at it when there is none (or the admin
/// cannot extend the one set: it was created by a previous admin, frozen
/// or deactivated), then appends the shared addresses it lacks. Run after every
/// listing; running it again changes nothing.
pub async fn sync<T: Transport>(transport: &mut T, admin: &Keypair) -> ClientResult<SyncReport> {
    let exchange = fetch_exchange(transport).await?;
    if exchange.admin != admin.pubkey() {
        return Err(ClientError::Transport(format!(
            "only the admin ({}) may point the exchange at a lookup table",
            exchange.admin
        )));
    }
    let markets: Vec<(Pubkey, Vec<Pubkey>)> = fetch_markets(transport)
        .await?
        .iter()
        .map(|m| {
            let oracles = m.oracles();
            (m.address, std::iter::once(oracles.primary).chain(oracles.secondary).collect())
        })
        .collect();
    let wanted = shared_addresses(&exchange, &markets);

    let current = match exchange.lookup_table {
        key if key == Pubkey::default() => None,
        key => fetch_with_authority(transport, &key).await?,
    };
    let (table, held, created) = match current {
        Some((table, authority)) if authority == Some(admin.pubkey()) => (table.key, table.addresses, false),
        _ => {
            let recent_slot = recent_slot(transport).await?;
            let (create, table) = create_lookup_table(admin.pubkey(), transport.payer(), recent_slot);
            transport.send(&[create], &[admin]).await?;
            transport.send(&[ix::set_lookup_table(&admin.pubkey(), table)], &[admin]).await?;
            (table, Vec::new(), true)
        }
    };
    let missing: Vec<Pubkey> = wanted.into_iter().filter(|key| !held.contains(key)).collect();
    if held.len() + missing.len() > LOOKUP_TABLE_MAX_ADDRESSES {
        return Err(ClientError::Transport(format!(
            "lookup table {table} would need {} addresses, over the {LOOKUP_TABLE_MAX_ADDRESSES} a table holds",
            held.len() + missing.len()
        )));
    }
    for chunk in missing.chunks(EXTEND_CHUNK) {
        let extend = extend_lookup_table(table, admin.pubkey(), Some(transport.payer()), chunk.to_vec());
        transport.send(&[extend], &[admin]).await?;
    }
    Ok(SyncReport { table, created, added: missing.len(), held: held.len() + missing.len() })
}

/// The newest slot in the SlotHashes sysvar: the slot a new table is
/// derived from must be one of them.
async fn recent_slot<T: Transport>(transport: &mut T) -> ClientResult<u64> {
    let account = transport
        .account(&SLOT_HASHES)
        .await?
        .ok_or_else(|| ClientError::Transport("no SlotHashes sysvar".into()))?;
    // A u64 entry count, then (slot u64, hash [u8; 32]) newest first.
    let slot = account
        .data
        .get(8..16)
        .filter(|_| account.data.get(..8).is_some_and(|n| n != [0; 8]))
        .ok_or_else(|| ClientError::Transport("the SlotHashes sysvar is empty".into()))?;
    Ok(u64::from_le_bytes(slot.try_into().expect("eight bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_addresses_start_with_the_exchange_and_hold_each_key_once() {
        let exchange: Exchange = bytemuck::Zeroable::zeroed();
        let exchange = Exchange {
            vault: Pubkey::new_unique(),
            insurance_vault: Pubkey::new_unique(),
            collateral_mint: Pubkey::new_unique(),
            ..exchange
        };
        let (m0, m1, oracle) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        // Two markets sharing an oracle account.
        let addresses = shared_addresses(&exchange, &[(m0, vec![oracle]), (m1, vec![oracle, m0])]);
        assert_eq!(addresses[0], ix::exchange_pda());
        assert_eq!(addresses[1], exchange.vault);
        assert_eq!(&addresses[addresses.len() - 3..], &[m0, oracle, m1]);
        let unique: std::collections::BTreeSet<_> = addresses.iter().collect();
        assert_eq!(unique.len(), addresses.len());
        // Six exchange-wide keys (no treasury set) and three market keys.
        assert_eq!(addresses.len(), 6 + 3);
        let treasury = Pubkey::new_unique();
        let with_treasury = shared_addresses(&Exchange { treasury, ..exchange }, &[]);
        assert_eq!(with_treasury.len(), 7);
        assert!(with_treasury.contains(&treasury));
    }
}
