//! Parsing an inbound look-up SMS (`MCKH 0101701234`) as Kannel's exec hook
//! hands it over.

/// Longest inbound text we try to understand. A concatenated SMS can be a
/// few hundred characters; anything longer is junk or an attack and gets
/// the syntax reply without further work.
const MAX_TEXT_CHARS: usize = 480;
/// Longest receipt code accepted (the Circular 01/2018 form is 25).
const MAX_CODE_CHARS: usize = 40;

/// What a citizen's message asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// The keyword followed by something shaped like a receipt code.
    Code(String),
    /// Anything else: a missing code, another keyword, junk.
    BadSyntax,
}

/// Decodes Kannel's URL encoding (`+` for a space, `%XX` for a byte) into
/// bytes. A `%` not followed by two hex digits is kept as it is, so text
/// that was never encoded passes through unchanged.
pub fn url_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The value of one hex digit.
fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Turns the decoded bytes into text. A message the phone sent in UCS-2
/// reaches exec as UTF-16BE bytes (`%00M%00C…`) unless smsbox has
/// `mo-recode = true`; we recognise that shape and decode it, and take
/// everything else as UTF-8, replacing invalid bytes.
pub fn bytes_to_text(bytes: &[u8]) -> String {
    if looks_like_utf16be(bytes) {
        let units: Vec<u16> =
            bytes.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])).filter(|&u| u != 0xFEFF).collect();
        if let Ok(s) = String::from_utf16(&units) {
            return s;
        }
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// UTF-16BE of mostly-Latin text has a zero high byte in most pairs; valid
/// UTF-8 text essentially never contains NUL bytes.
fn looks_like_utf16be(b: &[u8]) -> bool {
    if b.len() < 2 || b.len() % 2 != 0 {
        return false;
    }
    if b.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let pairs = b.len() / 2;
    let zero_high = b.chunks_exact(2).filter(|p| p[0] == 0).count();
    zero_high * 2 >= pairs
}

/// Decodes an argument exactly as the exec hook delivers it.
pub fn decode_arg(raw: &str) -> String {
    crate::domain::text::nfc(&bytes_to_text(&url_decode(raw)))
}

/// Parses a decoded message against the keyword. The keyword matches in any
/// case and may be followed by spaces, `_`, `-`, or nothing
/// (`MCKH 0101701234`, `mckh_0101701234`, `MCKH0101701234`).
pub fn parse(text: &str, keyword: &str) -> Request {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Request::BadSyntax;
    }
    // Control bytes (a stray newline, NULs from a broken phone) count as
    // spaces, so they can neither hide nor smuggle anything.
    let cleaned: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let s = cleaned.trim();
    let kw: Vec<char> = keyword.chars().flat_map(char::to_uppercase).collect();
    let mut chars = s.chars().peekable();
    for want in &kw {
        match chars.next().map(|c| c.to_uppercase().next().unwrap_or(c)) {
            Some(c) if c == *want => {}
            _ => return Request::BadSyntax,
        }
    }
    while matches!(chars.peek(), Some(' ' | '_' | '-' | '\u{a0}')) {
        chars.next();
    }
    let rest: String = chars.collect();
    // Phones add a full stop or a trailing dash now and then.
    let code = rest.trim().trim_end_matches(['.', '-', ',']);
    let valid = !code.is_empty()
        && code.len() <= MAX_CODE_CHARS
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && code.chars().any(|c| c.is_ascii_alphanumeric());
    if valid {
        Request::Code(code.to_string())
    } else {
        Request::BadSyntax
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Request {
        Request::Code(s.to_string())
    }

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("MCKH+0101701234"), b"MCKH 0101701234");
        assert_eq!(url_decode("%2B84905123456"), b"+84905123456");
        assert_eq!(url_decode("100%"), b"100%");
        assert_eq!(url_decode("%zz%4"), b"%zz%4");
        assert_eq!(url_decode("%4D"), b"M");
        assert_eq!(decode_arg("H%E1%BB%93+s%C6%A1"), "Hồ sơ");
    }

    #[test]
    fn ucs2_inbound_is_decoded() {
        let raw = "%00M%00C%00K%00H%00+%000%001%000%001%007%000%001%002%003%004";
        assert_eq!(decode_arg(raw), "MCKH 0101701234");
        // An accented keyword message: "mckh ồ" in UTF-16BE.
        assert_eq!(decode_arg("%00m%00c%00k%00h%00+%1E%D3"), "mckh ồ");
        assert_eq!(decode_arg("%FE%FF%00M"), "M");
    }

    #[test]
    fn every_documented_spelling() {
        for s in [
            "MCKH 0101701234",
            "mckh_0101701234",
            "MCKH0101701234",
            "  Mckh   0101701234 ",
            "MCKH-0101701234",
            "MCKH 0101701234.",
            "MCKH\n0101701234",
        ] {
            assert_eq!(parse(s, "MCKH"), code("0101701234"), "{s:?}");
        }
        assert_eq!(parse("MCKH 000.00.12.H34-171019-0001", "MCKH"), code("000.00.12.H34-171019-0001"));
        assert_eq!(parse("mckh 000.00.12.h34-171019-0001", "mckh"), code("000.00.12.h34-171019-0001"));
    }

    #[test]
    fn everything_else_is_bad_syntax() {
        for s in [
            "",
            "MCKH",
            "MCKH   ",
            "HELLO 0101701234",
            "0101701234",
            "MCKH 0101 701234",
            "MCKH '; DROP TABLE dossiers; --",
            "MCKH \"0101701234\"",
            "MCKH ...",
            "MCK",
            "MCKH 0101701234 xin cảm ơn",
        ] {
            assert_eq!(parse(s, "MCKH"), Request::BadSyntax, "{s:?}");
        }
        let huge = format!("MCKH {}", "1".repeat(10_000));
        assert_eq!(parse(&huge, "MCKH"), Request::BadSyntax);
        assert_eq!(parse(&format!("MCKH {}", "1".repeat(41)), "MCKH"), Request::BadSyntax);
        assert_eq!(parse(&decode_arg("MCKH+%FF%FE%00"), "MCKH"), Request::BadSyntax);
    }
}
