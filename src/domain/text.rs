//! Vietnamese text folding: phones type without diacritics, so search compares folded forms.

use unicode_normalization::UnicodeNormalization;

/// Lower-case, strip diacritics (including đ → d) and collapse white space:
/// `"  Nguyễn   Văn An "` → `"nguyen van an"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if ('\u{0300}'..='\u{036f}').contains(&c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A character no text typed by a person should hold: control characters (but tab and line
/// breaks), bidirectional overrides and isolates that make a name read differently from what
/// it holds, and zero-width characters that make two equal-looking names differ.
pub fn is_forbidden_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// The first forbidden character of `s`, if any.
pub fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|c| is_forbidden_char(*c))
}

/// Collapse runs of white space and trim; keeps diacritics and case.
pub fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_names() {
        assert_eq!(fold("Nguyễn Văn An"), "nguyen van an");
        assert_eq!(fold("  ĐỖ   Thị  Hồng  "), "do thi hong");
        assert_eq!(fold("Trần Quốc Tuấn"), "tran quoc tuan");
        assert_eq!(fold("Phường Cửa Nam"), "phuong cua nam");
        assert_eq!(fold("nguyen van an"), "nguyen van an");
    }

    #[test]
    fn folds_precomposed_and_decomposed_alike() {
        let decomposed: String = "Nguyễn".nfd().collect();
        assert_eq!(fold(&decomposed), fold("Nguyễn"));
    }

    #[test]
    fn finds_overrides_zero_width_and_control_characters() {
        assert_eq!(forbidden_char("Nguyễn Văn An"), None);
        assert_eq!(forbidden_char("line one\nline two\ttab"), None);
        assert_eq!(forbidden_char("Nguy\u{202e}nA"), Some('\u{202e}'));
        assert_eq!(forbidden_char("An\u{200b}"), Some('\u{200b}'));
        assert_eq!(forbidden_char("\u{feff}An"), Some('\u{feff}'));
        assert_eq!(forbidden_char("A\u{0}"), Some('\u{0}'));
        assert_eq!(forbidden_char("A\u{2067}B"), Some('\u{2067}'));
    }

    #[test]
    fn tidies_space() {
        assert_eq!(tidy("  Nguyễn   Văn\tAn "), "Nguyễn Văn An");
    }
}
