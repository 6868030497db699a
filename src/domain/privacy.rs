//! Personal data (docs/domain.md §9): what an access record says, what reading is unusual,
//! what a list export must give, and the stable pseudonym analysts see instead of a person.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The longest purpose an export may give, in characters.
pub const PURPOSE_MAX: usize = 500;

/// Why a list is exported: it must say, in a few words at least, and not at length.
pub fn check_purpose(purpose: Option<&str>) -> Result<String, &'static str> {
    let p = purpose.map(str::trim).unwrap_or_default();
    if p.chars().count() < 5 {
        return Err("an export of personal data must say why (at least 5 characters)");
    }
    if p.chars().count() > PURPOSE_MAX {
        return Err("at most 500 characters");
    }
    Ok(p.to_string())
}

/// How a day's reading is judged: a user who read at least `min_people` people, and more
/// than `factor` times what the median user of the same role read that day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unusual {
    pub factor: f64,
    pub min_people: i64,
}

impl Default for Unusual {
    fn default() -> Unusual {
        Unusual {
            factor: 3.0,
            min_people: 100,
        }
    }
}

/// What one user read in a day: how many distinct people, under which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayReading {
    pub user_id: String,
    pub role: String,
    pub people: i64,
}

/// A user flagged: what they read, and what their peers (the others of the same role that
/// day) read at the median.
#[derive(Debug, Clone, PartialEq)]
pub struct Flagged {
    pub reading: DayReading,
    pub peer_median: f64,
    pub peers: usize,
}

impl Unusual {
    /// The users whose day stands out from their peers'. With no peer, a user stands out by
    /// reading at least `min_people` people: nobody is there to compare with.
    pub fn flag(&self, day: &[DayReading]) -> Vec<Flagged> {
        let mut out = Vec::new();
        for r in day.iter().filter(|r| r.people >= self.min_people) {
            let peers: Vec<i64> = day
                .iter()
                .filter(|p| p.role == r.role && p.user_id != r.user_id)
                .map(|p| p.people)
                .collect();
            let peer_median = median(&peers);
            if r.people as f64 > self.factor * peer_median {
                out.push(Flagged {
                    reading: r.clone(),
                    peer_median,
                    peers: peers.len(),
                });
            }
        }
        out.sort_by_key(|f| std::cmp::Reverse(f.reading.people));
        out
    }
}

fn median(v: &[i64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut v = v.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

/// A person's stable pseudonym under a key: the same person always gets the same one, and
/// without the key nobody can tell whom it stands for.
pub fn pseudonym(key: &[u8], person_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(b"person:");
    mac.update(person_id.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("P-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(rows: &[(&str, &str, i64)]) -> Vec<DayReading> {
        rows.iter()
            .map(|(u, r, n)| DayReading {
                user_id: u.to_string(),
                role: r.to_string(),
                people: *n,
            })
            .collect()
    }

    #[test]
    fn a_user_far_above_their_peers_is_flagged() {
        let rule = Unusual {
            factor: 3.0,
            min_people: 20,
        };
        let d = day(&[
            ("a", "police_tracer", 10),
            ("b", "police_tracer", 12),
            ("c", "police_tracer", 30),
            ("d", "police_tracer", 400),
        ]);
        let flagged = rule.flag(&d);
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].reading.user_id, "d");
        // the peers of d are a, b and c: their median is 12
        assert_eq!(flagged[0].peer_median, 12.0);
        assert_eq!(flagged[0].peers, 3);
    }

    #[test]
    fn peers_are_of_the_same_role_and_small_days_are_never_flagged() {
        let rule = Unusual {
            factor: 3.0,
            min_people: 20,
        };
        // an analyst reads much more than police do: compared with analysts, not police
        let d = day(&[
            ("a", "police_tracer", 5),
            ("b", "police_tracer", 6),
            ("x", "cdc_analyst", 300),
            ("y", "cdc_analyst", 250),
            ("s", "commune_officer", 15),
        ]);
        assert!(rule.flag(&d).is_empty());
        // alone in their role, reading past the floor: flagged
        let d = day(&[("a", "police_tracer", 5), ("z", "health_officer", 25)]);
        let f = rule.flag(&d);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].reading.user_id.as_str(), f[0].peers), ("z", 0));
        // exactly `factor` times the median is not more than it
        let d = day(&[("a", "police_tracer", 10), ("b", "police_tracer", 30)]);
        assert!(rule.flag(&d).is_empty());
    }

    #[test]
    fn an_export_says_why() {
        assert!(check_purpose(None).is_err());
        assert!(check_purpose(Some("   ")).is_err());
        assert!(check_purpose(Some("abc")).is_err());
        assert_eq!(
            check_purpose(Some("  gửi CDC tỉnh  ")).unwrap(),
            "gửi CDC tỉnh"
        );
        assert!(check_purpose(Some(&"x".repeat(501))).is_err());
    }

    #[test]
    fn pseudonyms_are_stable_per_key_and_tell_people_apart() {
        let a = pseudonym(b"key one", "0193-a");
        assert_eq!(a, pseudonym(b"key one", "0193-a"));
        assert_ne!(a, pseudonym(b"key one", "0193-b"));
        assert_ne!(a, pseudonym(b"key two", "0193-a"));
        assert!(a.starts_with("P-") && a.len() == 22);
        assert!(!a.contains("0193"));
    }
}
