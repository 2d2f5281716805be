//! SMS encoding and segment counting: what a text costs and how the gateway
//! must be told to carry it.

/// The GSM 03.38 default alphabet (basic table).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: each of these costs two septets.
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{000c}";

/// True when `c` can be sent in the GSM 7-bit alphabet.
pub fn is_gsm7(c: char) -> bool {
    GSM7_BASIC.contains(c) || GSM7_EXTENDED.contains(c)
}

/// How a text travels over the air.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// GSM 7-bit: 160 characters, or 153 per part when concatenated.
    Gsm7,
    /// UCS-2 (UTF-16): 70 characters, or 67 per part when concatenated.
    Ucs2,
}

impl Coding {
    /// The coding a text needs: any character outside GSM 7-bit forces UCS-2.
    pub fn for_text(text: &str) -> Coding {
        if text.chars().all(is_gsm7) {
            Coding::Gsm7
        } else {
            Coding::Ucs2
        }
    }
}

/// The number of SMS parts a text is split into, which is what the carrier
/// bills. An empty text is still one message.
pub fn segments(text: &str) -> u32 {
    let (units, single, multi) = match Coding::for_text(text) {
        Coding::Gsm7 => {
            let septets: usize = text.chars().map(|c| if GSM7_EXTENDED.contains(c) { 2 } else { 1 }).sum();
            (septets, 160, 153)
        }
        Coding::Ucs2 => (text.encode_utf16().count(), 70, 67),
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coding_follows_the_alphabet() {
        assert_eq!(Coding::for_text("Ho so cua quy ong/ba"), Coding::Gsm7);
        assert_eq!(Coding::for_text("è é ù ì ò à É"), Coding::Gsm7);
        assert_eq!(Coding::for_text("Hồ sơ"), Coding::Ucs2);
        assert_eq!(Coding::for_text("đ"), Coding::Ucs2);
    }

    #[test]
    fn gsm7_limits() {
        assert_eq!(segments(""), 1);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        // Extension characters count double.
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
    }

    #[test]
    fn ucs2_limits() {
        assert_eq!(segments(&"ồ".repeat(70)), 1);
        assert_eq!(segments(&"ồ".repeat(71)), 2);
        assert_eq!(segments(&"ồ".repeat(134)), 2);
        assert_eq!(segments(&"ồ".repeat(135)), 3);
    }

    #[test]
    fn the_result_notice_is_two_parts() {
        let text = "TB: Hồ sơ của quý ông/bà (MS: 0101701234) đã được giải quyết xong. Mời ông/ bà đến Bộ phận Một cửa Sở Tư pháp để nhận kết quả";
        assert_eq!(text.chars().count(), 125);
        assert_eq!(segments(text), 2);
    }
}
