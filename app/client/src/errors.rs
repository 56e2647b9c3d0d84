//! Program error codes decoded to their names and messages, from the
//! committed IDL (which CI keeps in sync with the program).

use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct IdlError {
    code: u32,
    name: String,
    #[serde(default)]
    msg: String,
}

#[derive(Deserialize)]
struct Idl {
    errors: Vec<IdlError>,
}

fn table() -> &'static Vec<IdlError> {
    static TABLE: OnceLock<Vec<IdlError>> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str::<Idl>(include_str!("../../../idl/vamm.json"))
            .map(|idl| idl.errors)
            .unwrap_or_default()
    })
}

/// Name and message of a program error code, if it is one of the program's.
pub fn describe(code: u32) -> Option<(&'static str, &'static str)> {
    table().iter().find(|e| e.code == code).map(|e| (e.name.as_str(), e.msg.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_error_is_described() {
        use vamm::error::VammError;
        for error in [VammError::MathOverflow, VammError::InsufficientMargin, VammError::WrongInsuranceVault]
        {
            let code = anchor_lang::error::ERROR_CODE_OFFSET + error as u32;
            let (name, msg) = describe(code).expect("in the IDL");
            assert_eq!(name, format!("{error:?}"));
            assert!(!msg.is_empty());
        }
    }
}
