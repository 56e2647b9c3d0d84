//! The program's events, read back from a transaction's log messages. An
//! Anchor `emit!` logs `Program data: <base64>`: the event's 8-byte
//! discriminator, then its Borsh encoding. Only lines logged while this
//! program itself is running count (not a program it calls, nor another
//! program of the transaction).

use anchor_lang::{AnchorDeserialize, Discriminator, Event};
use base64::Engine;

/// The `Program data:` payloads this program logged, in order.
pub fn program_data(logs: &[String]) -> Vec<Vec<u8>> {
    let program = vamm::ID.to_string();
    let mut running: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for line in logs {
        let Some(rest) = line.strip_prefix("Program ") else { continue };
        if let Some(fields) = rest.strip_prefix("data: ") {
            if running.last() == Some(&program.as_str()) {
                let first = fields.split_whitespace().next().unwrap_or("");
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(first) {
                    out.push(bytes);
                }
            }
            continue;
        }
        let mut words = rest.split_whitespace();
        match (words.next(), words.next()) {
            (Some(id), Some("invoke")) => running.push(id),
            (Some(_), Some(outcome)) if outcome == "success" || outcome.starts_with("failed") => {
                running.pop();
            }
            _ => {}
        }
    }
    out
}

/// `data` as event `E`, if it is one (discriminator and whole encoding).
pub fn decode<E: Event + AnchorDeserialize + Discriminator>(data: &[u8]) -> Option<E> {
    E::try_from_slice(data.strip_prefix(E::DISCRIMINATOR)?).ok()
}

/// Every event of type `E` this program logged, in order.
pub fn events<E: Event + AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    program_data(logs).iter().filter_map(|data| decode(data)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::prelude::Pubkey;
    use vamm::events::{CollateralDeposited, CollateralWithdrawn};

    fn data_line(event: &impl Event) -> String {
        format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(event.data()))
    }

    #[test]
    fn only_this_programs_own_events_are_read_and_decoded_by_type() {
        let deposited = CollateralDeposited {
            trader_account: Pubkey::new_unique(),
            depositor: Pubkey::new_unique(),
            amount: 1_000_000_000,
            collateral_after: 1_500_000_000,
            ts: 1_767_225_600,
        };
        let vamm = vamm::ID.to_string();
        let token = spl_token_interface::ID.to_string();
        let other = Pubkey::new_unique().to_string();
        let logs: Vec<String> = vec![
            format!("Program {other} invoke [1]"),
            data_line(&deposited), // another program's, not ours
            format!("Program {other} success"),
            format!("Program {vamm} invoke [1]"),
            "Program log: Instruction: Deposit".into(),
            format!("Program {token} invoke [2]"),
            data_line(&deposited), // logged inside the token program
            format!("Program {token} consumed 4645 of 190000 compute units"),
            format!("Program {token} success"),
            data_line(&deposited),
            format!("Program {vamm} consumed 20000 of 200000 compute units"),
            format!("Program {vamm} success"),
        ];
        assert_eq!(program_data(&logs).len(), 1);
        let read: Vec<CollateralDeposited> = events(&logs);
        assert_eq!(read.len(), 1);
        assert_eq!((read[0].trader_account, read[0].amount), (deposited.trader_account, 1_000_000_000));
        assert_eq!((read[0].collateral_after, read[0].ts), (1_500_000_000, 1_767_225_600));
        // Another event type's discriminator does not decode as this one.
        assert!(events::<CollateralWithdrawn>(&logs).is_empty());
        // A failed invocation ends the program's frame too.
        let failed = vec![
            format!("Program {vamm} invoke [1]"),
            format!("Program {vamm} failed: custom program error: 0x1770"),
            data_line(&deposited),
        ];
        assert!(program_data(&failed).is_empty());
    }
}
