//! Vietnamese mobile numbers: parsing the many ways staff type them at intake,
//! converting the pre-2018 11-digit numbers, and masking them for logs.

use std::fmt;

/// A Vietnamese mobile number, stored as the 9 national digits after the
/// leading `0` (so `0905123456` is `905123456`).
///
/// Why a type: the database, the gateway and the logs each want a different
/// spelling, and a plain string invites sending to a landline or a typo.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mobile {
    national: String,
}

/// The 2018 conversion of 11-digit mobile numbers (old 4-digit prefix to the
/// new 3-digit one), as published by the Ministry of Information and
/// Communications.
const CONVERTED_PREFIXES: &[(&str, &str)] = &[
    ("0162", "032"),
    ("0163", "033"),
    ("0164", "034"),
    ("0165", "035"),
    ("0166", "036"),
    ("0167", "037"),
    ("0168", "038"),
    ("0169", "039"),
    ("0120", "070"),
    ("0121", "079"),
    ("0122", "077"),
    ("0126", "076"),
    ("0128", "078"),
    ("0123", "083"),
    ("0124", "084"),
    ("0125", "085"),
    ("0127", "081"),
    ("0129", "082"),
    ("0186", "056"),
    ("0188", "058"),
    ("0199", "059"),
];

impl Mobile {
    /// Parses what a clerk typed or a gateway passed: `0905 123 456`,
    /// `+84905123456`, `84-905-123-456`, `(090) 5123456`, or an old
    /// 11-digit number such as `01651234567`. Returns `None` for anything
    /// that is not a Vietnamese mobile number (landlines, short codes,
    /// foreign numbers, typos), because texting those would fail or reach a
    /// stranger.
    pub fn parse(raw: &str) -> Option<Mobile> {
        let trimmed = raw.trim();
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return None,
            }
        }
        let national = if let Some(rest) = digits.strip_prefix("84") {
            if trimmed.starts_with('+') || rest.len() == 9 || rest.len() == 10 {
                format!("0{rest}")
            } else {
                digits.clone()
            }
        } else if let Some(rest) = digits.strip_prefix("0084") {
            format!("0{rest}")
        } else {
            digits.clone()
        };
        let national = convert_old(&national);
        if national.len() != 10 || !national.starts_with('0') {
            return None;
        }
        // Mobile networks use the 03, 05, 07, 08 and 09 ranges.
        match national.as_bytes()[1] {
            b'3' | b'5' | b'7' | b'8' | b'9' => Some(Mobile { national: national[1..].to_string() }),
            _ => None,
        }
    }

    /// The international form without `+` (`84905123456`): what Kannel and
    /// most Vietnamese SMS providers expect in `to`.
    pub fn international(&self) -> String {
        format!("84{}", self.national)
    }

    /// The national form (`0905123456`), as citizens write it.
    pub fn national(&self) -> String {
        format!("0{}", self.national)
    }

    /// The form safe for logs and cron mail: `0905***456`.
    pub fn masked(&self) -> String {
        mask(&self.national())
    }
}

impl fmt::Display for Mobile {
    /// Displays masked, so that a stray `{}` in a log line cannot leak a
    /// citizen's number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Rewrites an old 11-digit number (`0165…`) to its 2018 10-digit form.
fn convert_old(national: &str) -> String {
    if national.len() == 11 {
        for (old, new) in CONVERTED_PREFIXES {
            if let Some(rest) = national.strip_prefix(old) {
                return format!("{new}{rest}");
            }
        }
    }
    national.to_string()
}

/// Masks any phone-like string for logs: keeps the first four and the last
/// three characters, so staff can still tell two numbers apart.
pub fn mask(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nat(s: &str) -> Option<String> {
        Mobile::parse(s).map(|m| m.national())
    }

    #[test]
    fn accepts_common_spellings() {
        assert_eq!(nat("0905123456").as_deref(), Some("0905123456"));
        assert_eq!(nat(" 0905 123 456 ").as_deref(), Some("0905123456"));
        assert_eq!(nat("+84905123456").as_deref(), Some("0905123456"));
        assert_eq!(nat("84905123456").as_deref(), Some("0905123456"));
        assert_eq!(nat("0084905123456").as_deref(), Some("0905123456"));
        assert_eq!(nat("090-512-3456").as_deref(), Some("0905123456"));
        assert_eq!(nat("(090) 512.3456").as_deref(), Some("0905123456"));
        assert_eq!(nat("0321234567").as_deref(), Some("0321234567"));
    }

    #[test]
    fn converts_every_old_prefix() {
        for (old, new) in CONVERTED_PREFIXES {
            let m = Mobile::parse(&format!("{old}1234567")).unwrap();
            assert_eq!(m.national(), format!("{new}1234567"));
        }
        assert_eq!(nat("+841651234567").as_deref(), Some("0351234567"));
        assert_eq!(nat("841291234567").as_deref(), Some("0821234567"));
    }

    #[test]
    fn rejects_non_mobiles() {
        for bad in [
            "",
            "   ",
            "8083",
            "02583822222",
            "0258382222",
            "090512345",
            "09051234567",
            "0105123456",
            "0605123456",
            "abc",
            "0905123456x",
            "+1 415 555 0100",
            "01301234567",
            "09 05+123456",
        ] {
            assert_eq!(Mobile::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn forms_and_masking() {
        let m = Mobile::parse("0905123456").unwrap();
        assert_eq!(m.international(), "84905123456");
        assert_eq!(m.masked(), "0905***456");
        assert_eq!(format!("{m}"), "0905***456");
        assert_eq!(mask("12345"), "*****");
    }
}
