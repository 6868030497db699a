//! Concentrated quarantine sites: who may share a room. People admitted together are kept
//! apart from other cohorts; an F0 never shares a room with people who are not.

use super::states::text_enum;
use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Someone in a room (or arriving): their level and when they were checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupant {
    /// 0 for F0, 1 for F1, …
    pub level: i32,
    pub admitted_at: NaiveDateTime,
}

/// Why a bed in a room is refused to someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomRefusal {
    Full,
    /// An F0 with people who are not, or the other way round.
    MixesF0,
    /// The room's cohort was admitted outside the window.
    MixesCohorts {
        cohort_from: NaiveDateTime,
    },
}

impl std::fmt::Display for RoomRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoomRefusal::Full => f.write_str("the room is full"),
            RoomRefusal::MixesF0 => f.write_str("it would put an F0 with people who are not"),
            RoomRefusal::MixesCohorts { cohort_from } => write!(
                f,
                "the room holds another admission cohort (admitted from {cohort_from} UTC)"
            ),
        }
    }
}

/// May `arriving` take a bed in a room with `beds` beds and these occupants? The room's cohort
/// starts with its earliest occupant's admission; an arrival joins it only within `window`.
pub fn admit_to_room(
    beds: usize,
    occupants: &[Occupant],
    arriving: Occupant,
    window: Duration,
) -> Result<(), RoomRefusal> {
    if occupants.len() >= beds {
        return Err(RoomRefusal::Full);
    }
    if occupants
        .iter()
        .any(|o| (o.level == 0) != (arriving.level == 0))
    {
        return Err(RoomRefusal::MixesF0);
    }
    if let Some(first) = occupants.iter().map(|o| o.admitted_at).min() {
        let last = occupants
            .iter()
            .map(|o| o.admitted_at)
            .max()
            .unwrap_or(first);
        let within = arriving.admitted_at >= first - window
            && arriving.admitted_at < first + window
            && arriving.admitted_at >= last - window;
        if !within {
            return Err(RoomRefusal::MixesCohorts { cohort_from: first });
        }
    }
    Ok(())
}

/// A site is near capacity when its occupancy reaches `threshold` (0..=1) of its capacity.
pub fn near_capacity(occupied: i64, capacity: i64, threshold: f64) -> bool {
    capacity > 0 && occupied as f64 >= threshold * capacity as f64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Barracks,
    Dormitory,
    Hotel,
    Other,
}

text_enum!(SiteKind { Barracks => "barracks", Dormitory => "dormitory", Hotel => "hotel", Other => "other" });

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_611_800_000 + h * 3600, 0)
            .unwrap()
            .naive_utc()
    }

    fn f1(h: i64) -> Occupant {
        Occupant {
            level: 1,
            admitted_at: t(h),
        }
    }

    #[test]
    fn an_empty_room_takes_anyone() {
        let w = Duration::hours(24);
        assert_eq!(admit_to_room(2, &[], f1(0), w), Ok(()));
        let f0 = Occupant {
            level: 0,
            admitted_at: t(0),
        };
        assert_eq!(admit_to_room(1, &[], f0, w), Ok(()));
    }

    #[test]
    fn a_full_room_is_refused() {
        let w = Duration::hours(24);
        assert_eq!(
            admit_to_room(2, &[f1(0), f1(1)], f1(2), w),
            Err(RoomRefusal::Full)
        );
        assert_eq!(admit_to_room(3, &[f1(0), f1(1)], f1(2), w), Ok(()));
    }

    #[test]
    fn an_f0_never_shares_with_f1s() {
        let w = Duration::hours(24);
        let f0 = Occupant {
            level: 0,
            admitted_at: t(1),
        };
        assert_eq!(admit_to_room(4, &[f1(0)], f0, w), Err(RoomRefusal::MixesF0));
        assert_eq!(admit_to_room(4, &[f0], f1(1), w), Err(RoomRefusal::MixesF0));
        // F1 and F2 of the same wave may share
        let f2 = Occupant {
            level: 2,
            admitted_at: t(2),
        };
        assert_eq!(admit_to_room(4, &[f1(0)], f2, w), Ok(()));
    }

    #[test]
    fn cohorts_are_not_mixed() {
        let w = Duration::hours(24);
        assert_eq!(admit_to_room(4, &[f1(0)], f1(23), w), Ok(()));
        assert_eq!(
            admit_to_room(4, &[f1(0)], f1(24), w),
            Err(RoomRefusal::MixesCohorts { cohort_from: t(0) })
        );
        // a shorter window is stricter
        assert!(admit_to_room(4, &[f1(0)], f1(7), Duration::hours(6)).is_err());
    }

    #[test]
    fn near_capacity_threshold() {
        assert!(near_capacity(90, 100, 0.9));
        assert!(!near_capacity(89, 100, 0.9));
        assert!(!near_capacity(0, 0, 0.9));
    }
}
