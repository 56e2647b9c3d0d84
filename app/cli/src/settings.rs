//! Where a command connects and who signs, resolved as the Solana CLI does:
//! a flag (or its environment variable) first, then the Solana CLI's
//! config file (`~/.config/solana/cli/config.yml`), then the built-in
//! default (localhost, `~/.config/solana/id.json`, confirmed).

use crate::Commitment;

pub const DEFAULT_URL: &str = "http://127.0.0.1:8899";
pub const DEFAULT_KEYPAIR: &str = "~/.config/solana/id.json";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub url: String,
    pub keypair: String,
    pub commitment: Commitment,
}

/// The fields of the Solana CLI's config file this tool uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SolanaConfig {
    pub json_rpc_url: Option<String>,
    pub keypair_path: Option<String>,
    /// The file's commitment, or why its name is not one.
    pub commitment: Option<Result<Commitment, String>>,
}

/// A cluster moniker or its first letter, as `solana -u` takes them, to
/// its public JSON-RPC URL; anything else is returned as given.
pub fn expand_url(text: &str) -> String {
    match text {
        "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".into(),
        "d" | "devnet" => "https://api.devnet.solana.com".into(),
        "t" | "testnet" => "https://api.testnet.solana.com".into(),
        "l" | "localhost" => DEFAULT_URL.into(),
        other => other.into(),
    }
}

/// Reads the Solana CLI's config file at `path`; a missing file is no
/// config. Only top-level `key: value` lines are read (the file is YAML
/// written by the Solana CLI; nested maps such as `address_labels` are
/// skipped).
pub fn read_solana_config(path: &str) -> Result<SolanaConfig, String> {
    let path = crate::commands::expand_home(path);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_solana_config(&text).map_err(|e| format!("{path}: {e}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SolanaConfig::default()),
        Err(e) => Err(format!("cannot read {path}: {e}")),
    }
}

pub fn parse_solana_config(text: &str) -> Result<SolanaConfig, String> {
    let mut config = SolanaConfig::default();
    for line in text.lines() {
        if line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "json_rpc_url" => config.json_rpc_url = Some(value.to_string()),
            "keypair_path" => config.keypair_path = Some(value.to_string()),
            "commitment" => config.commitment = Some(commitment(value)),
            _ => {}
        }
    }
    Ok(config)
}

/// The Solana CLI's commitment names, the deprecated ones included. An
/// unknown name is an error only where the file's commitment is used (a
/// --commitment flag makes it irrelevant).
fn commitment(name: &str) -> Result<Commitment, String> {
    match name {
        "processed" | "recent" => Ok(Commitment::Processed),
        "confirmed" | "single" | "singleGossip" => Ok(Commitment::Confirmed),
        "finalized" | "max" | "root" => Ok(Commitment::Finalized),
        other => Err(format!("unknown commitment '{other}'")),
    }
}

pub fn resolve(
    url: Option<&str>,
    keypair: Option<&str>,
    commitment: Option<Commitment>,
    config: &SolanaConfig,
) -> Result<Settings, String> {
    let url = url.or(config.json_rpc_url.as_deref()).unwrap_or(DEFAULT_URL);
    Ok(Settings {
        url: expand_url(url),
        keypair: keypair.or(config.keypair_path.as_deref()).unwrap_or(DEFAULT_KEYPAIR).to_string(),
        commitment: match (commitment, &config.commitment) {
            (Some(flag), _) => flag,
            (None, Some(from_file)) => from_file.clone().map_err(|e| format!("Solana CLI config: {e}"))?,
            (None, None) => Commitment::Confirmed,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `solana config set` writes it.
    const WRITTEN_BY_SOLANA_CLI: &str = "---
json_rpc_url: https://api.devnet.solana.com
websocket_url: ''
keypair_path: /home/ana/.config/solana/devnet.json
address_labels:
  '11111111111111111111111111111111': System Program
commitment: finalized
";

    #[test]
    fn monikers_and_their_letters_expand_and_urls_pass_through() {
        assert_eq!(expand_url("m"), "https://api.mainnet-beta.solana.com");
        assert_eq!(expand_url("mainnet-beta"), expand_url("m"));
        assert_eq!(expand_url("d"), "https://api.devnet.solana.com");
        assert_eq!(expand_url("testnet"), "https://api.testnet.solana.com");
        assert_eq!(expand_url("l"), "http://127.0.0.1:8899");
        assert_eq!(expand_url("http://10.0.0.1:8899"), "http://10.0.0.1:8899");
        assert_eq!(expand_url("local:/tmp/cluster.json"), "local:/tmp/cluster.json");
    }

    #[test]
    fn the_solana_cli_config_is_read() {
        let config = parse_solana_config(WRITTEN_BY_SOLANA_CLI).unwrap();
        assert_eq!(config.json_rpc_url.as_deref(), Some("https://api.devnet.solana.com"));
        assert_eq!(config.keypair_path.as_deref(), Some("/home/ana/.config/solana/devnet.json"));
        assert_eq!(config.commitment, Some(Ok(Commitment::Finalized)));
        assert_eq!(parse_solana_config("").unwrap(), SolanaConfig::default());
        // An unknown name fails only where the file's commitment is used.
        let odd = parse_solana_config("commitment: soon").unwrap();
        assert!(resolve(None, None, None, &odd).unwrap_err().contains("soon"));
        let flagged = resolve(None, None, Some(Commitment::Processed), &odd).unwrap();
        assert_eq!(flagged.commitment, Commitment::Processed);
    }

    #[test]
    fn a_flag_beats_the_config_file_which_beats_the_default() {
        let config = parse_solana_config(WRITTEN_BY_SOLANA_CLI).unwrap();
        let from_config = resolve(None, None, None, &config).unwrap();
        assert_eq!(from_config.url, "https://api.devnet.solana.com");
        assert_eq!(from_config.keypair, "/home/ana/.config/solana/devnet.json");
        assert_eq!(from_config.commitment, Commitment::Finalized);
        let flags = resolve(Some("t"), Some("id.json"), Some(Commitment::Processed), &config).unwrap();
        assert_eq!(
            flags,
            Settings {
                url: "https://api.testnet.solana.com".into(),
                keypair: "id.json".into(),
                commitment: Commitment::Processed
            }
        );
        let none = resolve(None, None, None, &SolanaConfig::default()).unwrap();
        assert_eq!((none.url.as_str(), none.keypair.as_str()), (DEFAULT_URL, DEFAULT_KEYPAIR));
        assert_eq!(none.commitment, Commitment::Confirmed);
    }

    #[test]
    fn a_missing_config_file_is_no_config() {
        assert_eq!(read_solana_config("/nonexistent/config.yml").unwrap(), SolanaConfig::default());
    }
}
