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
    fn tidies_space() {
        assert_eq!(tidy("  Nguyễn   Văn\tAn "), "Nguyễn Văn An");
    }
}
