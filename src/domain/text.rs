//! Vietnamese text handling: normalisation for matching, and the unaccented
//! form for channels that cannot carry diacritics.

use unicode_normalization::UnicodeNormalization;

/// NFC-normalises text. The case software, Excel and phones disagree on
/// whether "ả" is one code point or two; after this they agree.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// The key two workflow names are compared by: NFC, lower case, inner runs
/// of white space folded, ends trimmed. So "  TRẢ  kết quả " matches
/// "Trả kết quả" whichever way either was typed.
pub fn match_key(s: &str) -> String {
    nfc(s).to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Strips Vietnamese diacritics ("Hồ sơ" → "Ho so", "đ" → "d"), for the
/// GSM 7-bit alphabet: Kannel's exec reply path and `unaccented = true`
/// turn anything else into '?'. Characters that still fall outside GSM
/// after stripping become '?' here rather than at the gateway, so what is
/// stored is what the phone shows.
pub fn unaccent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        match c {
            '\u{0300}'..='\u{036f}' => {}
            'đ' => out.push('d'),
            'Đ' => out.push('D'),
            c if crate::domain::sms::is_gsm7(c) => out.push(c),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            '\u{201c}' | '\u{201d}' => out.push('"'),
            '\u{2013}' | '\u{2014}' => out.push('-'),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_form_case_and_spacing() {
        let composed = "Trả kết quả";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert_eq!(match_key(&decomposed), match_key(composed));
        assert_eq!(match_key("  TRẢ   KẾT QUẢ "), match_key(composed));
        assert_ne!(match_key("Trả kết quá"), match_key(composed));
    }

    #[test]
    fn unaccents_the_whole_vietnamese_alphabet() {
        assert_eq!(
            unaccent("Hồ sơ của quý ông/bà hiện đang ở bước Trả kết quả, trạng thái hồ sơ: Đúng hạn."),
            "Ho so cua quy ong/ba hien dang o buoc Tra ket qua, trang thai ho so: Dung han."
        );
        assert_eq!(
            unaccent("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"),
            "AAAAAAAAAAAAAAAAADEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYY"
        );
        assert_eq!(unaccent("đường Trần Phú"), "duong Tran Phu");
        assert_eq!(unaccent("中"), "?");
    }
}
