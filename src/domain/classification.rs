//! Classification (docs/domain.md §3): F0, F1, F2, F3 from the graph of contacts.
//!
//! A person's level is one more than the smallest level among the active upstream people
//! whose window the contact falls in; F0s are level 0. An F0's window runs from N days
//! before symptom onset (or, if asymptomatic, before the positive sample) until isolation.
//! A person classified through a contact could have been infected from that contact on, so
//! their own window starts at the contact (never before the source's window) and runs until
//! they are isolated.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use std::collections::{BTreeMap, VecDeque};

/// The deepest level the cascade goes to by default (F3, "traced down to F3" in Quảng Ninh).
pub const DEFAULT_MAX_DEPTH: u8 = 3;
/// Days before onset (or the positive sample) that an F0's window opens.
pub const DEFAULT_DAYS_BEFORE: i64 = 2;

/// A stretch of time in which a person could pass the infection on. `end` is open (None)
/// until the person is isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDateTime,
    pub end: Option<NaiveDateTime>,
}

impl Window {
    /// Whether a contact from `first` to `last` overlaps the window.
    pub fn overlaps(&self, first: NaiveDateTime, last: NaiveDateTime) -> bool {
        last >= self.start && self.end.is_none_or(|e| first <= e)
    }

    /// The window of someone exposed through a contact from `first` to `last` inside this
    /// one: from the first moment of the contact that falls inside it.
    pub fn downstream(&self, first: NaiveDateTime, isolated_at: Option<NaiveDateTime>) -> Window {
        Window {
            start: first.max(self.start),
            end: isolated_at,
        }
    }
}

/// Midnight of a local (UTC+7) date, as a UTC instant.
pub fn local_midnight_utc(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) - Duration::hours(super::time::VN_OFFSET_HOURS)
}

/// An F0's transmission window: from `days_before` days before onset (or before the positive
/// sample when there is no onset) at local midnight, until isolation.
pub fn f0_window(
    onset: Option<NaiveDate>,
    sample_date: NaiveDate,
    isolated_at: Option<NaiveDateTime>,
    days_before: i64,
) -> Window {
    let anchor = onset.unwrap_or(sample_date);
    Window {
        start: local_midnight_utc(anchor - Duration::days(days_before)),
        end: isolated_at,
    }
}

/// A contact as the classification sees it: two people and when they met. Contacts have no
/// direction: either may have infected the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge<P> {
    pub a: P,
    pub b: P,
    pub first: NaiveDateTime,
    pub last: NaiveDateTime,
}

/// What the classification says of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified<P> {
    pub level: u8,
    pub window: Window,
    /// The upstream person through whom the level was reached (None for F0).
    pub via: Option<P>,
}

/// Classify everyone reachable from the sources, to `max_depth`.
///
/// A person's level is one more than the lowest level among the classified people who met
/// them inside their window; their window starts at the earliest moment any of those could
/// have infected them (an F1 who may have caught it from an F2 earlier passes it on from
/// then), and ends when they are isolated (`isolated`). Both only ever decrease as contacts
/// are added, so the result is the least fixed point, found with a work list: adding a
/// contact never raises anyone's level nor shortens a window.
pub fn classify<P: Ord + Clone>(
    sources: &[(P, Window)],
    edges: &[Edge<P>],
    isolated: &BTreeMap<P, NaiveDateTime>,
    max_depth: u8,
) -> BTreeMap<P, Classified<P>> {
    let mut out: BTreeMap<P, Classified<P>> = BTreeMap::new();
    let mut queue: VecDeque<P> = VecDeque::new();
    for (p, w) in sources {
        out.insert(
            p.clone(),
            Classified {
                level: 0,
                window: *w,
                via: None,
            },
        );
        queue.push_back(p.clone());
    }
    let mut adjacency: BTreeMap<&P, Vec<(&P, &Edge<P>)>> = BTreeMap::new();
    for e in edges {
        adjacency.entry(&e.a).or_default().push((&e.b, e));
        adjacency.entry(&e.b).or_default().push((&e.a, e));
    }
    while let Some(q) = queue.pop_front() {
        let up = out[&q].clone();
        for (p, e) in adjacency.get(&q).into_iter().flatten() {
            let Some(candidate) = through(up.level, &up.window, e.first, e.last, max_depth) else {
                continue;
            };
            let current = out.get(*p).map(|c| (c.level, c.window.start));
            let changed = match improve(current, candidate) {
                None => false,
                Some((level, start)) => {
                    let end = isolated.get(*p).copied();
                    let entry = out.entry((*p).clone()).or_insert_with(|| Classified {
                        level,
                        window: Window { start, end },
                        via: Some(q.clone()),
                    });
                    if level < entry.level {
                        entry.via = Some(q.clone());
                    }
                    entry.level = level;
                    entry.window.start = start;
                    true
                }
            };
            if changed {
                queue.push_back((*p).clone());
            }
        }
    }
    out
}

/// What a contact from `first` to `last` makes of the other side when one side is
/// classified at `up_level` with window `up`: a level and the start of an exposure, or
/// nothing when the contact falls outside the window or the depth is reached.
pub fn through(
    up_level: u8,
    up: &Window,
    first: NaiveDateTime,
    last: NaiveDateTime,
    max_depth: u8,
) -> Option<(u8, NaiveDateTime)> {
    (up_level < max_depth && up.overlaps(first, last)).then(|| (up_level + 1, first.max(up.start)))
}

/// The classification `(level, window start)` a person gets from a candidate, when it is
/// better than the current one: a lower level or an earlier exposure (never worse). An F0
/// keeps the window of its case.
pub fn improve(
    current: Option<(u8, NaiveDateTime)>,
    candidate: (u8, NaiveDateTime),
) -> Option<(u8, NaiveDateTime)> {
    match current {
        None => Some(candidate),
        Some((0, _)) => None,
        Some((level, start)) => {
            let better = (level.min(candidate.0), start.min(candidate.1));
            (better != (level, start)).then_some(better)
        }
    }
}

/// A person's classification as one record holds it (one of two records of the same person,
/// being merged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held<P> {
    pub level: u8,
    /// Taken back by a correction (declassified): it counts only when nothing else does.
    pub withdrawn: bool,
    pub window: Window,
    pub via: Option<P>,
}

/// Which of the two records of a merge a classification comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeSide {
    Kept,
    Duplicate,
}

/// The classification of one person recorded twice, once the records are one: as if every
/// contact of both had been logged against one record. The closest level wins (the lowest,
/// with its source; the record kept on a tie); the exposure starts at the earliest start of
/// either (`improve`); it ends at the first isolation either recorded. An F0 keeps the
/// window of its case. A classification taken back counts only when both were. The side the
/// result's level comes from is returned with it.
pub fn combine<P: Clone>(
    kept: Option<&Held<P>>,
    dup: Option<&Held<P>>,
) -> Option<(MergeSide, Held<P>)> {
    let sides: Vec<(MergeSide, &Held<P>)> = [(MergeSide::Kept, kept), (MergeSide::Duplicate, dup)]
        .into_iter()
        .filter_map(|(s, h)| h.map(|h| (s, h)))
        .collect();
    let standing: Vec<(MergeSide, &Held<P>)> = if sides.iter().any(|(_, h)| !h.withdrawn) {
        sides.into_iter().filter(|(_, h)| !h.withdrawn).collect()
    } else {
        sides
    };
    // the first of equals is the record kept
    let (side, best) = *standing
        .iter()
        .min_by_key(|(_, h)| (h.level, h.window.start))?;
    let mut out = best.clone();
    if out.level > 0 {
        out.window.start = standing.iter().map(|(_, h)| h.window.start).min()?;
        out.window.end = standing.iter().filter_map(|(_, h)| h.window.end).min();
    }
    Some((side, out))
}

/// The level label: F0, F1, F2, F3 …
pub fn label(level: u8) -> String {
    format!("F{level}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2021, 1, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn edge(a: u32, b: u32, first: NaiveDateTime, last: NaiveDateTime) -> Edge<u32> {
        Edge { a, b, first, last }
    }

    #[test]
    fn f0_window_opens_two_local_days_before_onset() {
        let w = f0_window(
            NaiveDate::from_ymd_opt(2021, 1, 28),
            NaiveDate::from_ymd_opt(2021, 1, 29).unwrap(),
            None,
            2,
        );
        // 26 January 00:00 in Vietnam is 25 January 17:00 UTC
        assert_eq!(w.start, t(25, 17));
        assert!(w.end.is_none());
        let asymptomatic = f0_window(
            None,
            NaiveDate::from_ymd_opt(2021, 1, 29).unwrap(),
            Some(t(29, 10)),
            2,
        );
        assert_eq!(asymptomatic.start, t(26, 17));
        assert_eq!(asymptomatic.end, Some(t(29, 10)));
    }

    #[test]
    fn contacts_classify_inside_windows_only() {
        let w = Window {
            start: t(10, 0),
            end: Some(t(20, 0)),
        };
        assert!(w.overlaps(t(9, 0), t(10, 0)));
        assert!(w.overlaps(t(20, 0), t(21, 0)));
        assert!(!w.overlaps(t(5, 0), t(9, 23)));
        assert!(!w.overlaps(t(20, 1), t(22, 0)));
    }

    #[test]
    fn cascade_reaches_f3_and_the_lowest_level_wins() {
        let src = [(
            0u32,
            Window {
                start: t(10, 0),
                end: None,
            },
        )];
        let edges = vec![
            edge(0, 1, t(11, 0), t(11, 2)),
            edge(1, 2, t(12, 0), t(12, 1)),
            edge(2, 3, t(13, 0), t(13, 1)),
            edge(3, 4, t(14, 0), t(14, 1)),
            // 2 also met the F0, later: F1, not F2, and still exposed since meeting 1
            edge(0, 2, t(15, 0), t(15, 1)),
        ];
        let got = classify(&src, &edges, &BTreeMap::new(), 3);
        let levels: Vec<(u32, u8)> = got.iter().map(|(p, c)| (*p, c.level)).collect();
        assert_eq!(levels, [(0, 0), (1, 1), (2, 1), (3, 2), (4, 3)]);
        assert_eq!(got[&2].window.start, t(12, 0));
        assert_eq!(got[&2].via, Some(0));
    }

    #[test]
    fn a_contact_before_the_exposure_does_not_pass_it_on() {
        let src = [(
            0u32,
            Window {
                start: t(10, 0),
                end: None,
            },
        )];
        // 1 meets the F0 on the 12th; 1 met 2 on the 11th, before 1 could have been infected
        let edges = vec![
            edge(0, 1, t(12, 0), t(12, 1)),
            edge(1, 2, t(11, 0), t(11, 1)),
        ];
        let got = classify(&src, &edges, &BTreeMap::new(), 3);
        assert!(got.contains_key(&1));
        assert!(!got.contains_key(&2));
    }

    #[test]
    fn isolation_closes_a_window() {
        let src = [(
            0u32,
            Window {
                start: t(10, 0),
                end: None,
            },
        )];
        let edges = vec![
            edge(0, 1, t(11, 0), t(11, 1)),
            edge(1, 2, t(14, 0), t(14, 1)),
        ];
        let isolated = BTreeMap::from([(1u32, t(13, 0))]);
        let got = classify(&src, &edges, &isolated, 3);
        assert_eq!(got[&1].window.end, Some(t(13, 0)));
        assert!(!got.contains_key(&2), "met after isolation");
    }

    proptest! {
        #[test]
        fn level_is_the_shortest_distance_inside_windows(
            raw in proptest::collection::vec((0u32..12, 0u32..12, 1u32..20, 0u32..30), 0..40),
            sources in proptest::collection::btree_set(0u32..12, 1..3),
        ) {
            let edges: Vec<Edge<u32>> = raw
                .into_iter()
                .filter(|(a, b, _, _)| a != b)
                .map(|(a, b, day, hours)| {
                    let first = t(day, 0);
                    Edge { a, b, first, last: first + Duration::hours(hours as i64) }
                })
                .collect();
            let src: Vec<(u32, Window)> = sources.iter().map(|s| (*s, Window { start: t(5, 0), end: None })).collect();
            let got = classify(&src, &edges, &BTreeMap::new(), 3);
            let supports = |q: &u32, p: &u32, e: &Edge<u32>| (e.a == *q && e.b == *p) || (e.b == *q && e.a == *p);
            for (p, c) in &got {
                match &c.via {
                    None => prop_assert!(c.level == 0 && sources.contains(p)),
                    Some(q) => {
                        // sound: the level comes from a contact inside the upstream window
                        let up = &got[q];
                        prop_assert_eq!(up.level + 1, c.level);
                        prop_assert!(edges.iter().any(|e| supports(q, p, e) && up.window.overlaps(e.first, e.last)));
                        // and the window opens at a real exposure
                        prop_assert!(edges.iter().any(|e| got.iter().any(|(q2, u2)| supports(q2, p, e)
                            && u2.level < 3 && u2.window.overlaps(e.first, e.last)
                            && e.first.max(u2.window.start) == c.window.start)));
                    }
                }
            }
            // complete: no contact inside a classified window offers a lower level or an
            // earlier exposure than the one recorded
            for e in &edges {
                for (q, p) in [(e.a, e.b), (e.b, e.a)] {
                    if let Some(up) = got.get(&q) {
                        if up.level < 3 && up.window.overlaps(e.first, e.last) {
                            let c = got.get(&p);
                            prop_assert!(c.is_some_and(|c| c.level <= up.level + 1), "{} missed from {}", p, q);
                            let c = c.unwrap();
                            prop_assert!(c.level == 0 || c.window.start <= e.first.max(up.window.start));
                        }
                    }
                }
            }
            // applying the same input twice gives the same answer
            prop_assert_eq!(got, classify(&src, &edges, &BTreeMap::new(), 3));
        }

        #[test]
        fn adding_a_contact_never_raises_a_level(
            raw in proptest::collection::vec((0u32..10, 0u32..10, 1u32..20), 0..30),
            extra in (0u32..10, 0u32..10, 1u32..20),
        ) {
            let mk = |(a, b, day): (u32, u32, u32)| Edge { a, b, first: t(day, 0), last: t(day, 2) };
            let edges: Vec<Edge<u32>> = raw.into_iter().filter(|(a, b, _)| a != b).map(mk).collect();
            let src = [(0u32, Window { start: t(1, 0), end: None })];
            let before = classify(&src, &edges, &BTreeMap::new(), 3);
            let mut more = edges.clone();
            if extra.0 != extra.1 {
                more.push(mk(extra));
            }
            let after = classify(&src, &more, &BTreeMap::new(), 3);
            for (p, c) in &before {
                // upgrades are monotone: nobody already classified gets a higher number or
                // a shorter window
                prop_assert!(after[p].level <= c.level);
                prop_assert!(after[p].window.start <= c.window.start);
            }
        }
    }

    fn held(level: u8, start: NaiveDateTime, end: Option<NaiveDateTime>, via: u32) -> Held<u32> {
        Held {
            level,
            withdrawn: false,
            window: Window { start, end },
            via: Some(via),
        }
    }

    #[test]
    fn two_records_combine_to_the_closest_level_and_the_earliest_window() {
        // alone, a record's classification is the person's
        let f1 = held(1, t(10, 0), None, 7);
        assert_eq!(
            combine(Some(&f1), None),
            Some((MergeSide::Kept, f1.clone()))
        );
        assert_eq!(
            combine(None, Some(&f1)),
            Some((MergeSide::Duplicate, f1.clone()))
        );
        assert_eq!(combine::<u32>(None, None), None);
        // the lowest level with its source, the earliest start of either
        let f2 = held(2, t(8, 0), None, 9);
        let (side, got) = combine(Some(&f2), Some(&f1)).unwrap();
        assert_eq!(side, MergeSide::Duplicate);
        assert_eq!(
            (got.level, got.via, got.window.start),
            (1, Some(7), t(8, 0))
        );
        // a tie keeps the record kept's source
        let other_f1 = held(1, t(12, 0), None, 8);
        let (side, got) = combine(Some(&other_f1), Some(&f1)).unwrap();
        assert_eq!(
            side,
            MergeSide::Duplicate,
            "the earlier exposure at the level"
        );
        assert_eq!((got.via, got.window.start), (Some(7), t(10, 0)));
        let same = held(1, t(10, 0), None, 8);
        assert_eq!(combine(Some(&same), Some(&f1)).unwrap().0, MergeSide::Kept);
    }

    #[test]
    fn combined_exposure_ends_at_the_first_isolation_of_either() {
        // isolated under one spelling is isolated
        let isolated = held(2, t(12, 0), Some(t(15, 0)), 9);
        let free = held(1, t(10, 0), None, 7);
        let (_, got) = combine(Some(&free), Some(&isolated)).unwrap();
        assert_eq!(
            got.window,
            Window {
                start: t(10, 0),
                end: Some(t(15, 0))
            }
        );
        let sooner = held(1, t(10, 0), Some(t(13, 0)), 7);
        let (_, got) = combine(Some(&sooner), Some(&isolated)).unwrap();
        assert_eq!(got.window.end, Some(t(13, 0)));
    }

    #[test]
    fn an_f0_keeps_its_window_and_a_withdrawn_classification_yields() {
        let f0 = Held {
            level: 0,
            withdrawn: false,
            window: Window {
                start: t(12, 0),
                end: None,
            },
            via: None,
        };
        let f1 = held(1, t(5, 0), Some(t(6, 0)), 7);
        let (side, got) = combine(Some(&f1), Some(&f0)).unwrap();
        assert_eq!((side, got), (MergeSide::Duplicate, f0.clone()));
        let withdrawn = Held {
            withdrawn: true,
            ..held(1, t(1, 0), None, 3)
        };
        let f3 = held(3, t(9, 0), None, 4);
        let (side, got) = combine(Some(&withdrawn), Some(&f3)).unwrap();
        assert_eq!((side, got), (MergeSide::Duplicate, f3));
        let also = Held {
            withdrawn: true,
            ..held(2, t(1, 0), None, 5)
        };
        let (side, got) = combine(Some(&withdrawn), Some(&also)).unwrap();
        assert_eq!(side, MergeSide::Kept);
        assert!(got.withdrawn);
    }
}
