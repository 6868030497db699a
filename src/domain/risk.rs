//! Risk levels of communes and districts (docs/domain.md §7), on two scales:
//!
//! - `qd2686`: the 2021 scale of Decision 2686/QĐ-BCĐQG, `new_normal` < `at_risk` < `high` <
//!   `very_high`;
//! - `nq128`: the colours of Resolution 128/NQ-CP (October 2021), `green` (1) < `yellow` (2) <
//!   `orange` (3) < `red` (4).
//!
//! A district's level is derived from its communes' current levels with the rule of 2686: the
//! district is high if at least 30% of its communes are high (or very high), or at least 50%
//! are at risk (or higher), or any one is very high; otherwise at risk if any commune is at
//! risk or higher; otherwise new normal. Communes with no level recorded count as the lowest.
//!
//! **Assumption**: 128/NQ-CP states its own district criteria in terms of infection rates and
//! vaccination coverage, not of communes' colours. This module applies the 2686 rule to the
//! colours through the rank mapping very_high ↔ red, high ↔ orange, at_risk ↔ yellow,
//! new_normal ↔ green. That mapping is a stated assumption of this system, not a text of the
//! resolution.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 2686/QĐ-BCĐQG (2021): new_normal, at_risk, high, very_high.
    Qd2686,
    /// 128/NQ-CP (from October 2021): green, yellow, orange, red.
    Nq128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    NewNormal,
    AtRisk,
    High,
    VeryHigh,
    Green,
    Yellow,
    Orange,
    Red,
}

/// The rank of a level on its scale: 1 (lowest) to 4 (highest).
pub type Rank = u8;

super::states::text_conversions!(Scale);

impl Scale {
    pub const ALL: [Scale; 2] = [Scale::Qd2686, Scale::Nq128];
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Qd2686 => "qd2686",
            Scale::Nq128 => "nq128",
        }
    }
    pub fn parse(s: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The levels of the scale, lowest first.
    pub fn levels(self) -> [RiskLevel; 4] {
        use RiskLevel::*;
        match self {
            Scale::Qd2686 => [NewNormal, AtRisk, High, VeryHigh],
            Scale::Nq128 => [Green, Yellow, Orange, Red],
        }
    }
    /// The level of a rank (1..=4, clamped).
    pub fn level(self, rank: Rank) -> RiskLevel {
        self.levels()[usize::from(rank.clamp(1, 4)) - 1]
    }
}

super::states::text_conversions!(RiskLevel);

impl RiskLevel {
    pub const ALL: [RiskLevel; 8] = [
        RiskLevel::NewNormal,
        RiskLevel::AtRisk,
        RiskLevel::High,
        RiskLevel::VeryHigh,
        RiskLevel::Green,
        RiskLevel::Yellow,
        RiskLevel::Orange,
        RiskLevel::Red,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::NewNormal => "new_normal",
            RiskLevel::AtRisk => "at_risk",
            RiskLevel::High => "high",
            RiskLevel::VeryHigh => "very_high",
            RiskLevel::Green => "green",
            RiskLevel::Yellow => "yellow",
            RiskLevel::Orange => "orange",
            RiskLevel::Red => "red",
        }
    }
    pub fn parse(s: &str) -> Option<RiskLevel> {
        RiskLevel::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn scale(self) -> Scale {
        if Scale::Qd2686.levels().contains(&self) {
            Scale::Qd2686
        } else {
            Scale::Nq128
        }
    }
    /// 1 for new normal / green up to 4 for very high / red.
    pub fn rank(self) -> Rank {
        let levels = self.scale().levels();
        levels.iter().position(|l| *l == self).unwrap_or(0) as Rank + 1
    }

    /// High risk on either scale (high or very high; orange or red): mass sampling three
    /// times a week.
    pub fn is_high(self) -> bool {
        self.rank() >= 3
    }
}

/// How many of a district's communes are at each rank, and how many have none recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommuneCounts {
    /// Communes at rank 1..=4, by rank (index 0 is rank 1).
    pub by_rank: [usize; 4],
    /// Communes with no level recorded on the scale (counted at rank 1 as well).
    pub unrecorded: usize,
}

impl CommuneCounts {
    /// Count current levels; `None` is a commune with no level recorded.
    pub fn of(levels: &[Option<RiskLevel>]) -> CommuneCounts {
        let mut c = CommuneCounts::default();
        for l in levels {
            let rank = l.map(RiskLevel::rank).unwrap_or(1);
            c.by_rank[usize::from(rank) - 1] += 1;
            if l.is_none() {
                c.unrecorded += 1;
            }
        }
        c
    }
    pub fn total(&self) -> usize {
        self.by_rank.iter().sum()
    }
    /// Communes at `rank` or above.
    pub fn at_least(&self, rank: Rank) -> usize {
        self.by_rank[usize::from(rank.clamp(1, 4)) - 1..]
            .iter()
            .sum()
    }
}

/// The district's rank from its communes' counts (the 2686 rule; see the module comment).
/// A district is never derived very high: the rule's highest outcome is high.
pub fn district_rank(c: &CommuneCounts) -> Rank {
    let n = c.total();
    let high = c.at_least(3);
    let at_risk = c.at_least(2);
    let very_high = c.at_least(4);
    // integer comparisons: 30% and 50% hold exactly at the boundary
    if very_high > 0 || (n > 0 && (high * 10 >= n * 3 || at_risk * 2 >= n)) {
        3
    } else if at_risk > 0 {
        2
    } else {
        1
    }
}

/// The district's level on `scale` from its communes' current levels.
pub fn district_level(scale: Scale, communes: &[Option<RiskLevel>]) -> RiskLevel {
    scale.level(district_rank(&CommuneCounts::of(communes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use RiskLevel::*;

    fn communes(spec: &[(RiskLevel, usize)], unrecorded: usize) -> Vec<Option<RiskLevel>> {
        let mut v: Vec<Option<RiskLevel>> = spec
            .iter()
            .flat_map(|(l, n)| std::iter::repeat_n(Some(*l), *n))
            .collect();
        v.extend(std::iter::repeat_n(None, unrecorded));
        v
    }

    #[test]
    fn high_risk_on_both_scales() {
        use RiskLevel::*;
        let high: Vec<RiskLevel> = [
            NewNormal, AtRisk, High, VeryHigh, Green, Yellow, Orange, Red,
        ]
        .into_iter()
        .filter(|l| l.is_high())
        .collect();
        assert_eq!(high, [High, VeryHigh, Orange, Red]);
    }

    #[test]
    fn levels_know_their_scale_and_rank() {
        assert_eq!(NewNormal.rank(), 1);
        assert_eq!(VeryHigh.rank(), 4);
        assert_eq!(Green.rank(), 1);
        assert_eq!(Orange.rank(), 3);
        assert_eq!(Red.scale(), Scale::Nq128);
        assert_eq!(AtRisk.scale(), Scale::Qd2686);
        for l in RiskLevel::ALL {
            assert_eq!(RiskLevel::parse(l.as_str()), Some(l));
            assert_eq!(l.scale().level(l.rank()), l);
        }
        for s in Scale::ALL {
            assert_eq!(Scale::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn thirty_percent_high_makes_a_high_district() {
        let s = Scale::Qd2686;
        // 3 of 10 high: exactly 30%
        assert_eq!(
            district_level(s, &communes(&[(High, 3), (NewNormal, 7)], 0)),
            High
        );
        // 2 of 10 high: 20%, and 20% at risk or above is under 50%
        assert_eq!(
            district_level(s, &communes(&[(High, 2), (NewNormal, 8)], 0)),
            AtRisk
        );
        // 3 of 11 high: 27.3%, under the line
        assert_eq!(
            district_level(s, &communes(&[(High, 3), (NewNormal, 8)], 0)),
            AtRisk
        );
    }

    #[test]
    fn fifty_percent_at_risk_makes_a_high_district() {
        let s = Scale::Qd2686;
        // 5 of 10 at risk: exactly 50%
        assert_eq!(
            district_level(s, &communes(&[(AtRisk, 5), (NewNormal, 5)], 0)),
            High
        );
        // 4 of 10: 40%
        assert_eq!(
            district_level(s, &communes(&[(AtRisk, 4), (NewNormal, 6)], 0)),
            AtRisk
        );
        // 4 of 9 at risk: 44.4%, under the line
        assert_eq!(
            district_level(s, &communes(&[(AtRisk, 4), (NewNormal, 5)], 0)),
            AtRisk
        );
        // high communes count as at risk too: 2 high + 3 at risk of 10 is 50% at risk or above
        // (and 20% high)
        assert_eq!(
            district_level(s, &communes(&[(High, 2), (AtRisk, 3), (NewNormal, 5)], 0)),
            High
        );
    }

    #[test]
    fn very_high_communes_count_as_high() {
        let s = Scale::Qd2686;
        // one very high commune is enough
        assert_eq!(
            district_level(s, &communes(&[(VeryHigh, 1), (NewNormal, 20)], 0)),
            High
        );
        let c = CommuneCounts::of(&communes(&[(VeryHigh, 1), (High, 2), (NewNormal, 7)], 0));
        assert_eq!(c.at_least(3), 3);
        assert_eq!(district_rank(&c), 3);
    }

    #[test]
    fn quiet_districts_and_unrecorded_communes() {
        let s = Scale::Qd2686;
        assert_eq!(
            district_level(s, &communes(&[(NewNormal, 6)], 0)),
            NewNormal
        );
        assert_eq!(district_level(s, &[]), NewNormal);
        // unrecorded communes count as the lowest level: 1 at risk of 3 is under 50%
        let with_gaps = communes(&[(AtRisk, 1)], 2);
        assert_eq!(district_level(s, &with_gaps), AtRisk);
        let c = CommuneCounts::of(&with_gaps);
        assert_eq!((c.by_rank, c.unrecorded, c.total()), ([2, 1, 0, 0], 2, 3));
        // without the gaps, the same commune would be 50%
        assert_eq!(district_level(s, &communes(&[(AtRisk, 1)], 1)), High);
    }

    #[test]
    fn colours_follow_the_same_rule_through_the_mapping() {
        let s = Scale::Nq128;
        assert_eq!(
            district_level(s, &communes(&[(Orange, 3), (Green, 7)], 0)),
            Orange
        );
        assert_eq!(
            district_level(s, &communes(&[(Orange, 2), (Green, 8)], 0)),
            Yellow
        );
        assert_eq!(
            district_level(s, &communes(&[(Yellow, 5), (Green, 5)], 0)),
            Orange
        );
        assert_eq!(
            district_level(s, &communes(&[(Red, 1), (Green, 30)], 0)),
            Orange
        );
        assert_eq!(district_level(s, &communes(&[(Green, 4)], 3)), Green);
    }
}
