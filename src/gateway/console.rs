//! The console gateway: prints each message instead of sending it, for the
//! quick start and for trying templates out.

use super::{Gateway, SendError};
use crate::domain::phone::Mobile;
use crate::domain::sms::segments;

/// Prints to stdout; always "accepts".
pub struct Console;

impl Gateway for Console {
    /// Prints the masked recipient, the part count and the text.
    fn send(&self, to: &Mobile, text: &str) -> Result<String, SendError> {
        println!(
            "console: to {} ({} part{}): {}",
            to.masked(),
            segments(text),
            if segments(text) == 1 { "" } else { "s" },
            text
        );
        Ok("console: printed, not sent".into())
    }
}
