use anchor_lang::prelude::*;

/// A u128 stored as its 16 little-endian bytes. Native `u128` is 16-byte
/// aligned on x86_64 but 8-byte aligned on SBF, and account data is only
/// 8-byte aligned, so zero-copy accounts never hold a raw `u128`. The bytes
/// are exactly a little-endian u128 for clients.
#[zero_copy]
#[derive(Default, Debug, PartialEq, Eq)]
pub struct PodU128 {
    pub le_bytes: [u8; 16],
}

impl PodU128 {
    pub fn get(&self) -> u128 {
        u128::from_le_bytes(self.le_bytes)
    }
    pub fn set(&mut self, value: u128) {
        self.le_bytes = value.to_le_bytes();
    }
}

impl From<u128> for PodU128 {
    fn from(value: u128) -> Self {
        Self { le_bytes: value.to_le_bytes() }
    }
}
