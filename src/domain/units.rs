//! The administrative tree: levels, codes and materialised paths.
//!
//! A unit's path is its ancestors' codes and its own, each followed by '/': the country is
//! `/`, Quảng Ninh `/22/`, Vân Đồn `/22/203/`, Cái Rồng `/22/203/06994/`. A subtree is every
//! path with that prefix, which is one range scan on an index compared byte-wise:
//! `path >= '/22/' AND path < '/220'`.

use serde::{Deserialize, Serialize};

pub const COUNTRY_CODE: &str = "VN";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Country,
    Province,
    District,
    Commune,
    Village,
}

super::states::text_conversions!(Level);

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Country => "country",
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
            Level::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [
            Level::Country,
            Level::Province,
            Level::District,
            Level::Commune,
            Level::Village,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

/// Which official list the tree was loaded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Structure {
    /// 63 provinces / 696 districts / 10,051 communes (January 2025; the 2021 outbreaks).
    ThreeLevel,
    /// 34 provinces / 3,321 communes (since 1 July 2025).
    TwoLevel,
}

impl Structure {
    pub fn as_str(self) -> &'static str {
        match self {
            Structure::ThreeLevel => "3level",
            Structure::TwoLevel => "2level",
        }
    }
    pub fn parse(s: &str) -> Option<Structure> {
        match s {
            "3level" | "three-level" | "3" => Some(Structure::ThreeLevel),
            "2level" | "two-level" | "2" => Some(Structure::TwoLevel),
            _ => None,
        }
    }
}

/// The path of a child of `parent_path` with `code`.
pub fn child_path(parent_path: &str, code: &str) -> String {
    format!("{parent_path}{code}/")
}

/// The half-open byte range `[low, high)` of every path in the subtree rooted at `path`.
pub fn subtree_range(path: &str) -> (String, String) {
    debug_assert!(path.ends_with('/'));
    let mut high = path[..path.len() - 1].to_string();
    high.push('0'); // '0' is the byte right after '/'
    (path.to_string(), high)
}

/// The code of the unit at `path`: its last segment (`/22/203/` → `203`), the country's for
/// the root.
pub fn code_of_path(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|c| !c.is_empty())
        .unwrap_or(COUNTRY_CODE)
}

/// Whether `path` lies in the subtree rooted at `root`.
pub fn in_subtree(root: &str, path: &str) -> bool {
    path.starts_with(root)
}

/// GSO codes are zero-padded by level: provinces 2 digits, districts 3, communes 5.
pub fn pad_code(level: Level, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let width = match level {
        Level::Province => 2,
        Level::District => 3,
        Level::Commune => 5,
        _ => return None,
    };
    let n: u32 = raw.parse().ok()?;
    let s = format!("{n:0width$}");
    (s.len() == width).then_some(s)
}

/// A code for a user-added village: the commune's code and a sequence number.
pub fn village_code(commune_code: &str, seq: u32) -> String {
    format!("{commune_code}-{seq:03}")
}

/// Villages may be given a code by the user: short, and never a path separator.
pub fn valid_custom_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_its_unit() {
        assert_eq!(code_of_path("/22/203/06994/"), "06994");
        assert_eq!(code_of_path("/22/"), "22");
        assert_eq!(code_of_path("/"), COUNTRY_CODE);
    }

    #[test]
    fn subtree_range_holds_exactly_the_subtree() {
        let (low, high) = subtree_range("/22/203/");
        let inside = ["/22/203/", "/22/203/06994/", "/22/203/06994/06994-001/"];
        let outside = ["/22/", "/22/2030/", "/22/204/", "/22/20/", "/23/203/", "/"];
        for p in inside {
            assert!(
                p >= low.as_str() && p < high.as_str(),
                "{p} should be inside"
            );
            assert!(in_subtree("/22/203/", p));
        }
        for p in outside {
            assert!(
                !(p >= low.as_str() && p < high.as_str()),
                "{p} should be outside"
            );
            assert!(!in_subtree("/22/203/", p));
        }
        let (low, high) = subtree_range("/");
        assert!("/22/" >= low.as_str() && "/22/" < high.as_str());
    }

    #[test]
    fn pads_gso_codes() {
        assert_eq!(pad_code(Level::Province, "1").as_deref(), Some("01"));
        assert_eq!(pad_code(Level::District, "203").as_deref(), Some("203"));
        assert_eq!(pad_code(Level::Commune, "6994").as_deref(), Some("06994"));
        assert_eq!(pad_code(Level::Commune, "x1"), None);
        assert_eq!(pad_code(Level::Province, "123"), None);
    }

    #[test]
    fn village_codes() {
        assert_eq!(village_code("06994", 7), "06994-007");
        assert!(valid_custom_code("thon-3"));
        assert!(!valid_custom_code("a/b"));
        assert!(!valid_custom_code(""));
    }
}
