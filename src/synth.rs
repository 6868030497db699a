//! Deterministic synthetic data at province scale, for benchmarks and rehearsals: people
//! spread over a province's communes and contacts among them with the shape of real
//! outbreaks (households, workplaces and markets; a fan-out near 1 : 12 : 22 per hop).
//! The same seed always gives the same people and contacts.

use crate::db::AnyConnection;
use crate::domain::cases::{Proximity, Setting};
use crate::domain::text::fold;
use crate::schema::admin_units;
use crate::store::people::insert_rows as insert_person_rows;
use crate::store::people::PersonRow;
use crate::store::trace::insert_contacts;
use crate::store::trace::ContactRow;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// xorshift64*: small, fast and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FAMILY: [&str; 14] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô",
];
const MIDDLE: [&str; 8] = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc"];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam",
    "Phương", "Quân", "Tuấn",
];
const SETTINGS: [Setting; 6] = [
    Setting::Household,
    Setting::Workplace,
    Setting::Market,
    Setting::Vehicle,
    Setting::Healthcare,
    Setting::Other,
];

/// The id of synthetic person `i` of a seed: stable, and never a real record's.
pub fn person_id(seed: u64, i: usize) -> String {
    uuid::Uuid::from_u64_pair(0x5EED_0000_0000_0000 | (seed & 0xFFFF), i as u64).to_string()
}

pub fn contact_id(seed: u64, i: usize) -> String {
    uuid::Uuid::from_u64_pair(0xC0DE_0000_0000_0000 | (seed & 0xFFFF), i as u64).to_string()
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub people: usize,
    pub contacts: usize,
    /// The province whose communes people live in.
    pub province: String,
}

/// Communes of a province: (code, path).
pub fn communes_of(conn: &mut AnyConnection, province: &str) -> QueryResult<Vec<(String, String)>> {
    let p: String = admin_units::table
        .find(province)
        .select(admin_units::path)
        .get_result(conn)?;
    let (lo, hi) = crate::domain::units::subtree_range(&p);
    admin_units::table
        .filter(admin_units::level.eq("commune"))
        .filter(admin_units::path.ge(lo))
        .filter(admin_units::path.lt(hi))
        .select((admin_units::code, admin_units::path))
        .order(admin_units::path.asc())
        .load(conn)
}

/// Synthetic person `i`.
pub fn person(
    plan: &Plan,
    communes: &[(String, String)],
    i: usize,
    now: NaiveDateTime,
) -> PersonRow {
    let mut rng = Rng::new(plan.seed ^ (i as u64).wrapping_mul(0x100_0000_01B3));
    let name = format!(
        "{} {} {}",
        rng.pick(&FAMILY),
        rng.pick(&MIDDLE),
        rng.pick(&GIVEN)
    );
    // neighbours in the numbering share a commune: households and villages stay together
    let (code, path) = &communes[(i / 64) % communes.len()];
    PersonRow {
        id: person_id(plan.seed, i),
        name_folded: fold(&name),
        full_name: name,
        birth_date: None,
        birth_year: Some(1940 + rng.below(82) as i32),
        sex: Some(if rng.below(2) == 0 {
            crate::domain::people::Sex::Male
        } else {
            crate::domain::people::Sex::Female
        }),
        national_id: None,
        passport_no: None,
        nationality: Some("VN".into()),
        residence_address: None,
        residence_unit_code: code.clone(),
        unit_path: path.clone(),
        current_location: None,
        occupation: None,
        workplace: None,
        vaccination_doses: rng.below(4) as i32,
        source: crate::domain::people::Source::BulkImport,
        merged_into: None,
        version: 1,
        created_by: None,
        created_at: now,
        updated_by: None,
        updated_at: now,
        pending_national_id: None,
    }
}

/// Synthetic contact `i`: mostly among neighbours (household, village), some across the
/// province (markets, workplaces, vehicles), within the last 20 days.
pub fn contact(
    plan: &Plan,
    communes: &[(String, String)],
    i: usize,
    now: NaiveDateTime,
) -> ContactRow {
    let mut rng = Rng::new(plan.seed.rotate_left(17) ^ (i as u64).wrapping_mul(0x9E37_79B9));
    let a = rng.below(plan.people);
    let b = loop {
        let b = if rng.below(10) < 6 {
            let offset = 1 + rng.below(32);
            if rng.below(2) == 0 {
                a.saturating_sub(offset)
            } else {
                (a + offset).min(plan.people - 1)
            }
        } else {
            rng.below(plan.people)
        };
        if b != a {
            break b;
        }
    };
    let first = now - Duration::minutes(rng.below(20 * 24 * 60) as i64 + 60);
    let minutes = 5 + rng.below(120) as i64;
    let (_, path) = &communes[(a / 64) % communes.len()];
    ContactRow {
        id: contact_id(plan.seed, i),
        person_a: person_id(plan.seed, a),
        person_b: person_id(plan.seed, b),
        first_at: first,
        last_at: first + Duration::minutes(minutes),
        place: None,
        setting: SETTINGS[rng.below(SETTINGS.len())],
        proximity: if rng.below(3) == 0 {
            Proximity::Physical
        } else {
            Proximity::Within2m
        },
        duration_minutes: Some(minutes as i32),
        masked: false,
        unit_path: path.clone(),
        retracted_at: None,
        retract_reason: None,
        created_by: None,
        created_at: now,
        listed_at: first + Duration::minutes(minutes),
        updated_at: now,
    }
}

/// Write the plan's people and contacts, in transactions of 20,000 rows.
pub fn load(
    conn: &mut AnyConnection,
    plan: &Plan,
    now: NaiveDateTime,
    mut progress: impl FnMut(&str, usize),
) -> anyhow::Result<()> {
    let communes = communes_of(conn, &plan.province)?;
    anyhow::ensure!(
        !communes.is_empty(),
        "province {} has no communes",
        plan.province
    );
    const STEP: usize = 20_000;
    for start in (0..plan.people).step_by(STEP) {
        let rows: Vec<PersonRow> = (start..(start + STEP).min(plan.people))
            .map(|i| person(plan, &communes, i, now))
            .collect();
        crate::db::write_tx(conn, |c| insert_person_rows(c, &rows))?;
        progress("people", start + rows.len());
    }
    for start in (0..plan.contacts).step_by(STEP) {
        let rows: Vec<ContactRow> = (start..(start + STEP).min(plan.contacts))
            .map(|i| contact(plan, &communes, i, now))
            .collect();
        crate::db::write_tx(conn, |c| insert_contacts(c, &rows))?;
        progress("contacts", start + rows.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let communes = vec![
            ("06994".to_string(), "/22/203/06994/".to_string()),
            ("06997".into(), "/22/203/06997/".into()),
        ];
        let plan = Plan {
            seed: 7,
            people: 1000,
            contacts: 5000,
            province: "22".into(),
        };
        let now = chrono::NaiveDate::from_ymd_opt(2021, 5, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        for i in [0, 1, 999] {
            assert_eq!(
                person(&plan, &communes, i, now),
                person(&plan, &communes, i, now)
            );
        }
        let c1: Vec<_> = (0..50).map(|i| contact(&plan, &communes, i, now)).collect();
        let c2: Vec<_> = (0..50).map(|i| contact(&plan, &communes, i, now)).collect();
        assert_eq!(c1, c2);
        assert!(c1
            .iter()
            .all(|c| c.person_a != c.person_b && c.last_at > c.first_at));
        let other = Plan {
            seed: 8,
            ..plan.clone()
        };
        assert_ne!(contact(&other, &communes, 0, now).person_a, c1[0].person_a);
        // average degree: 2 × contacts / people
        let mut degree = std::collections::HashMap::new();
        for i in 0..plan.contacts {
            let c = contact(&plan, &communes, i, now);
            *degree.entry(c.person_a).or_insert(0) += 1;
            *degree.entry(c.person_b).or_insert(0) += 1;
        }
        let avg = degree.values().sum::<usize>() as f64 / plan.people as f64;
        assert!((9.0..=11.0).contains(&avg), "{avg}");
    }
}
