//! 256-bit unsigned integer for intermediate products of 128-bit reserves.
#![allow(clippy::manual_div_ceil, clippy::assign_op_pattern, clippy::ptr_offset_with_cast)]

uint::construct_uint! {
    /// 256-bit unsigned integer (four 64-bit limbs).
    pub struct U256(4);
}
