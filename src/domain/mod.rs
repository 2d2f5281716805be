//! The pure domain layer: no I/O, no database, no clock. Everything here is a
//! function of its arguments, so it is unit-tested directly.

pub mod dates;
pub mod lookup_text;
pub mod phone;
pub mod sms;
pub mod text;
pub mod timeliness;
