//! The deploy step: a deploy file (the collateral mint and the markets to
//! list, in human units; `migrations/deploy.toml`) and the idempotent
//! migration that brings an exchange to it through the timelock. The CLI
//! runs it as `vamm gov migrate`; the local validator runs it at start.

use crate::governance;
use crate::lookup_table;
use crate::transport::{ClientError, Transport};
use crate::units::{format_plain, parse_decimal};
use crate::valuation::{fetch_exchange, fetch_markets};
use crate::{decode, ix};
use serde::{Deserialize, Serialize};
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::fmt;
use vamm::instructions::CreateMarketParams;
use vamm::state::{GovernanceAction, OracleSource, Proposal, ProposalStatus};

/// A market listing in human units (a `[[markets]]` entry of a deploy
/// file). Amounts are USDC, the depth whole base units, margins percent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketFile {
    pub name: String,
    pub primary_oracle: String,
    pub primary_source: String,
    pub primary_feed_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_oracle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_feed_id: Option<String>,
    pub max_staleness_secs: u32,
    pub max_confidence_bps: u16,
    pub consensus_band_bps: u16,
    /// Whole base units.
    pub depth: String,
    /// USDC.
    pub min_price: String,
    pub max_price: String,
    /// Percent.
    pub initial_margin_pct: String,
    pub maintenance_margin_pct: String,
    pub initial_imf_factor_ppm: u32,
    pub maintenance_imf_factor_ppm: u32,
    pub mark_oracle_band_bps: u16,
    pub max_oracle_jump_bps: u16,
    /// Seconds a price outside the jump band must persist to be accepted.
    pub price_confirmation_secs: u32,
    /// Samples a Switchboard result must aggregate.
    pub min_oracle_samples: u8,
    /// Share of unrealised profit counted toward the initial margin of new
    /// risk, bps (at most 9,500).
    pub initial_profit_weight_bps: u16,
    pub max_slot_move_bps: u16,
    /// USDC.
    pub max_open_interest: String,
    pub max_position_notional: String,
    pub taker_fee_bps: u16,
    pub insurance_share_bps: u16,
    pub pnl_pool_share_bps: u16,
    pub fee_pool_share_bps: u16,
    pub funding_period_secs: u32,
    pub max_funding_rate_bps: u16,
    pub liquidation_fee_bps: u16,
    pub liquidator_share_bps: u16,
    pub max_liquidation_fraction_bps: u16,
    pub liquidation_buffer_pct: String,
    /// Mark-oracle gap after which anyone may repeg, bps (0: admin only).
    pub repeg_gap_bps: u16,
    /// How long the gap must last first, seconds.
    pub repeg_delay_secs: u32,
}

/// A deploy file: the collateral mint and the markets to list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployFile {
    pub collateral_mint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian: Option<String>,
    #[serde(default)]
    pub markets: Vec<MarketFile>,
}

pub fn source(text: &str) -> Result<OracleSource, String> {
    match text.to_ascii_lowercase().as_str() {
        "pyth" => Ok(OracleSource::Pyth),
        "switchboard" => Ok(OracleSource::Switchboard),
        other => Err(format!("unknown oracle source '{other}' (pyth or switchboard)")),
    }
}

fn source_name(source: OracleSource) -> String {
    match source {
        OracleSource::Pyth => "pyth",
        OracleSource::Switchboard => "switchboard",
    }
    .to_string()
}

pub fn feed_id(text: &str) -> Result<[u8; 32], String> {
    let hex = text.trim_start_matches("0x");
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(format!("feed id '{text}' must be 32 bytes of hex"));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("feed id '{text}' is not hex"))?;
    }
    Ok(out)
}

fn feed_hex(feed_id: &[u8; 32]) -> String {
    feed_id.iter().map(|b| format!("{b:02x}")).collect()
}

fn pubkey(text: &str) -> Result<Pubkey, String> {
    text.parse().map_err(|_| format!("'{text}' is not a base58 public key"))
}

/// The listing's name as written in its parameters (zero-padded ASCII).
pub fn market_name(params: &CreateMarketParams) -> String {
    let end = params.name.iter().position(|b| *b == 0).unwrap_or(params.name.len());
    String::from_utf8_lossy(&params.name[..end]).into_owned()
}

/// Converts a market file into the instruction's parameters and oracles.
pub fn market_params(
    file: &MarketFile,
    market_index: u16,
) -> Result<(CreateMarketParams, Pubkey, Option<Pubkey>), String> {
    if file.name.is_empty() || file.name.len() > 16 {
        return Err("name must be 1 to 16 bytes".into());
    }
    let mut name = [0u8; 16];
    name[..file.name.len()].copy_from_slice(file.name.as_bytes());
    // Percentages with up to 4 decimals -> ppm.
    let ppm = |text: &str| -> Result<u32, String> {
        u32::try_from(parse_decimal(text, 4)?).map_err(|_| format!("'{text}' percent is too large"))
    };
    let params = CreateMarketParams {
        market_index,
        name,
        primary_source: source(&file.primary_source)?,
        primary_feed_id: feed_id(&file.primary_feed_id)?,
        secondary_source: file.secondary_source.as_deref().map(source).transpose()?,
        secondary_feed_id: file.secondary_feed_id.as_deref().map(feed_id).transpose()?.unwrap_or([0; 32]),
        max_staleness_secs: file.max_staleness_secs,
        max_confidence_bps: file.max_confidence_bps,
        consensus_band_bps: file.consensus_band_bps,
        sqrt_k: u128::from(parse_decimal(&file.depth, 9)?),
        min_price: parse_decimal(&file.min_price, 6)?,
        max_price: parse_decimal(&file.max_price, 6)?,
        initial_ratio: ppm(&file.initial_margin_pct)?,
        maintenance_ratio: ppm(&file.maintenance_margin_pct)?,
        initial_imf_factor: file.initial_imf_factor_ppm,
        maintenance_imf_factor: file.maintenance_imf_factor_ppm,
        mark_oracle_band_bps: file.mark_oracle_band_bps,
        max_oracle_jump_bps: file.max_oracle_jump_bps,
        price_confirmation_secs: file.price_confirmation_secs,
        min_oracle_samples: file.min_oracle_samples,
        initial_profit_weight_bps: file.initial_profit_weight_bps,
        max_slot_move_bps: file.max_slot_move_bps,
        max_open_interest: parse_decimal(&file.max_open_interest, 6)?,
        max_position_notional: parse_decimal(&file.max_position_notional, 6)?,
        taker_fee_bps: file.taker_fee_bps,
        insurance_share_bps: file.insurance_share_bps,
        pnl_pool_share_bps: file.pnl_pool_share_bps,
        fee_pool_share_bps: file.fee_pool_share_bps,
        funding_period_secs: file.funding_period_secs,
        max_funding_rate_bps: file.max_funding_rate_bps,
        liquidation_fee_bps: file.liquidation_fee_bps,
        liquidator_share_bps: file.liquidator_share_bps,
        max_liquidation_fraction_bps: file.max_liquidation_fraction_bps,
        liquidation_buffer_ratio: ppm(&file.liquidation_buffer_pct)?,
        repeg_gap_bps: file.repeg_gap_bps,
        repeg_delay_secs: file.repeg_delay_secs,
    };
    let secondary = file.secondary_oracle.as_deref().map(pubkey).transpose()?;
    Ok((params, pubkey(&file.primary_oracle)?, secondary))
}

/// The market file that lists `params` with these oracles: the inverse of
/// [`market_params`] (the index is not part of the file; a migration
/// assigns it). A deployment that was made otherwise (the local
/// validator's) writes the file that describes it.
pub fn market_file(params: &CreateMarketParams, primary: &Pubkey, secondary: Option<&Pubkey>) -> MarketFile {
    let secondary_feed = params.secondary_source.map(|_| feed_hex(&params.secondary_feed_id));
    MarketFile {
        name: market_name(params),
        primary_oracle: primary.to_string(),
        primary_source: source_name(params.primary_source),
        primary_feed_id: feed_hex(&params.primary_feed_id),
        secondary_oracle: secondary.map(Pubkey::to_string),
        secondary_source: params.secondary_source.map(source_name),
        secondary_feed_id: secondary_feed,
        max_staleness_secs: params.max_staleness_secs,
        max_confidence_bps: params.max_confidence_bps,
        consensus_band_bps: params.consensus_band_bps,
        depth: format_plain(params.sqrt_k, 9),
        min_price: format_plain(params.min_price.into(), 6),
        max_price: format_plain(params.max_price.into(), 6),
        initial_margin_pct: format_plain(params.initial_ratio.into(), 4),
        maintenance_margin_pct: format_plain(params.maintenance_ratio.into(), 4),
        initial_imf_factor_ppm: params.initial_imf_factor,
        maintenance_imf_factor_ppm: params.maintenance_imf_factor,
        mark_oracle_band_bps: params.mark_oracle_band_bps,
        max_oracle_jump_bps: params.max_oracle_jump_bps,
        price_confirmation_secs: params.price_confirmation_secs,
        min_oracle_samples: params.min_oracle_samples,
        initial_profit_weight_bps: params.initial_profit_weight_bps,
        max_slot_move_bps: params.max_slot_move_bps,
        max_open_interest: format_plain(params.max_open_interest.into(), 6),
        max_position_notional: format_plain(params.max_position_notional.into(), 6),
        taker_fee_bps: params.taker_fee_bps,
        insurance_share_bps: params.insurance_share_bps,
        pnl_pool_share_bps: params.pnl_pool_share_bps,
        fee_pool_share_bps: params.fee_pool_share_bps,
        funding_period_secs: params.funding_period_secs,
        max_funding_rate_bps: params.max_funding_rate_bps,
        liquidation_fee_bps: params.liquidation_fee_bps,
        liquidator_share_bps: params.liquidator_share_bps,
        max_liquidation_fraction_bps: params.max_liquidation_fraction_bps,
        liquidation_buffer_pct: format_plain(params.liquidation_buffer_ratio.into(), 4),
        repeg_gap_bps: params.repeg_gap_bps,
        repeg_delay_secs: params.repeg_delay_secs,
    }
}

/// Why a migration stopped.
#[derive(Debug)]
pub enum DeployError {
    /// The file is malformed or describes another exchange than the
    /// cluster holds: nothing more was sent.
    Config(String),
    Client(ClientError),
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Config(text) => f.write_str(text),
            DeployError::Client(error) => error.fmt(f),
        }
    }
}

impl From<ClientError> for DeployError {
    fn from(error: ClientError) -> Self {
        DeployError::Client(error)
    }
}

impl From<String> for DeployError {
    fn from(text: String) -> Self {
        DeployError::Config(text)
    }
}

/// One step of a migration and what it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub step: String,
    pub done: String,
}

/// Idempotent deploy: initialises the exchange and lists the file's
/// markets through the timelock. A run queues what is missing; a run after
/// the delay executes what is ready (the oracles must be publishing); what
/// exists is skipped; the lookup table is brought up to date last. Every
/// step is reported with what remains.
pub async fn migrate<T: Transport>(
    t: &mut T,
    signer: &Keypair,
    file: &DeployFile,
) -> Result<Vec<Step>, DeployError> {
    let admin = signer.pubkey();
    let mut steps = Vec::new();
    let mut step = |step: &str, done: String| steps.push(Step { step: step.to_string(), done });
    let mint = pubkey(&file.collateral_mint)?;
    if t.account(&ix::exchange_pda()).await?.is_some() {
        // Another exchange than this deploy describes is an error, never a
        // step to skip: listing markets on it would hand them to its admin.
        let exchange = fetch_exchange(t).await?;
        if exchange.admin != admin {
            return Err(DeployError::Config(format!(
                "the exchange exists with admin {}, not the signer {admin}: refusing to migrate it",
                exchange.admin
            )));
        }
        if exchange.collateral_mint != mint {
            return Err(DeployError::Config(format!(
                "the exchange exists with collateral mint {}, not {mint} from the config: refusing to migrate it",
                exchange.collateral_mint
            )));
        }
        step("initialize_exchange", "skipped: exists".into());
    } else {
        let guardian = file.guardian.as_deref().map(pubkey).transpose()?.unwrap_or(admin);
        t.send(&[ix::initialize_exchange(&admin, &mint, guardian)], &[signer]).await?;
        step("initialize_exchange", "created".into());
    }
    let listed: Vec<String> =
        fetch_markets(t).await?.iter().map(|m| decode::market_name(&m.market)).collect();
    for market in &file.markets {
        let name = format!("list {}", market.name);
        if listed.contains(&market.name) {
            step(&name, "skipped: listed".into());
            continue;
        }
        let now = t.clock().await?.unix_ts;
        // The listings waiting or executable, read once per market.
        let open_listings: Vec<Proposal> = governance::proposals(t)
            .await?
            .into_iter()
            .filter(|p| p.status == ProposalStatus::Queued && now <= p.expires_ts)
            .filter(|p| matches!(p.action, GovernanceAction::ListMarket { .. }))
            .collect();
        let pending = open_listings.iter().find(|p| {
            matches!(&p.action, GovernanceAction::ListMarket { params, .. } if market_name(params) == market.name)
        });
        let done = match pending {
            Some(p) if now >= p.executable_ts => {
                governance::execute(t, signer, p.id).await?;
                format!("listed as market {} (proposal {})", list_index(p), p.id)
            }
            Some(p) => format!("queued as proposal {}: executable from {}", p.id, p.executable_ts),
            None => {
                let index = fetch_exchange(t).await?.market_count;
                // Listings queued ahead of this one take the indices before it.
                let queued_listings = open_listings.len() as u16;
                let (params, primary, secondary) = market_params(market, index + queued_listings)?;
                let action = GovernanceAction::ListMarket {
                    params,
                    primary_oracle: primary,
                    secondary_oracle: secondary,
                };
                let id = governance::queue(t, signer, action).await?;
                let p = governance::proposal(t, id)
                    .await?
                    .ok_or_else(|| DeployError::Config(format!("proposal {id} vanished after queueing")))?;
                format!("queued as proposal {id}: executable from {}", p.executable_ts)
            }
        };
        step(&name, done);
    }
    // Listings change what the table should hold; nothing to add is a no-op.
    let report = lookup_table::sync(t, signer).await?;
    step("lookup table", report.to_string());
    Ok(steps)
}

fn list_index(p: &Proposal) -> u16 {
    match &p.action {
        GovernanceAction::ListMarket { params, .. } => params.market_index,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn source_of(tag: u8) -> OracleSource {
        if tag.is_multiple_of(2) {
            OracleSource::Pyth
        } else {
            OracleSource::Switchboard
        }
    }

    proptest! {
        /// Every listing a file can express comes back unchanged from the
        /// file written for it (units, feed ids, oracles, optional second
        /// source).
        #[test]
        fn market_file_inverts_market_params(
            index in 0u16..64,
            name_len in 1usize..=16,
            tags in any::<(u8, u8, bool)>(),
            numbers in any::<(u32, u16, u16, u8, u32, u32)>(),
            amounts in any::<(u64, u64, u64, u64)>(),
            sqrt_k in any::<u64>(),
            ratios in any::<(u32, u32, u32)>(),
        ) {
            let (primary_tag, secondary_tag, has_secondary) = tags;
            let (secs, bps_a, bps_b, samples, imf_a, imf_b) = numbers;
            let mut name = [0u8; 16];
            for (i, byte) in name.iter_mut().take(name_len).enumerate() {
                *byte = b'A' + (i as u8 % 26);
            }
            let params = CreateMarketParams {
                market_index: index,
                name,
                primary_source: source_of(primary_tag),
                primary_feed_id: [primary_tag; 32],
                secondary_source: has_secondary.then(|| source_of(secondary_tag)),
                secondary_feed_id: if has_secondary { [secondary_tag; 32] } else { [0; 32] },
                max_staleness_secs: secs,
                max_confidence_bps: bps_a,
                consensus_band_bps: bps_b,
                sqrt_k: u128::from(sqrt_k),
                min_price: amounts.0,
                max_price: amounts.1,
                initial_ratio: ratios.0,
                maintenance_ratio: ratios.1,
                initial_imf_factor: imf_a,
                maintenance_imf_factor: imf_b,
                mark_oracle_band_bps: bps_a,
                max_oracle_jump_bps: bps_b,
                price_confirmation_secs: secs / 2,
                min_oracle_samples: samples,
                initial_profit_weight_bps: bps_b,
                max_slot_move_bps: bps_a,
                max_open_interest: amounts.2,
                max_position_notional: amounts.3,
                taker_fee_bps: bps_a / 3,
                insurance_share_bps: bps_b / 3,
                pnl_pool_share_bps: bps_a / 5,
                fee_pool_share_bps: bps_b / 5,
                funding_period_secs: secs / 3,
                max_funding_rate_bps: bps_a / 7,
                liquidation_fee_bps: bps_b / 7,
                liquidator_share_bps: bps_a / 11,
                max_liquidation_fraction_bps: bps_b / 11,
                liquidation_buffer_ratio: ratios.2,
                repeg_gap_bps: bps_a / 13,
                repeg_delay_secs: secs / 5,
            };
            let primary = Pubkey::new_from_array([primary_tag; 32]);
            let secondary = Pubkey::new_from_array([secondary_tag; 32]);
            let secondary = has_secondary.then_some(&secondary);
            let file = market_file(&params, &primary, secondary);
            let back = market_params(&file, index).unwrap();
            prop_assert_eq!(back, (params, primary, secondary.copied()));
        }
    }

    #[test]
    fn a_bad_file_is_refused_with_the_field() {
        assert!(feed_id("12").unwrap_err().contains("32 bytes"));
        assert!(source("chainlink").unwrap_err().contains("pyth or switchboard"));
        assert!(pubkey("not a key").unwrap_err().contains("base58"));
    }
}
