//! Merging a duplicate into the record kept: the person rows here, everything that names
//! the duplicate in `merge_records`.

use super::merge_records::{merge_side, move_records};
use super::*;
use crate::domain::rules::Rules;
use crate::service::versioned;
use crate::store::events::{Entity, Event};
use chrono::NaiveDateTime;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct MergePeople {
    /// The record to fold into this one; it is kept, marked as merged.
    pub duplicate_id: Uuid,
    /// The version of this record you read.
    pub version: i32,
    /// The version of the duplicate you read.
    pub duplicate_version: i32,
    /// Why, at least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: String,
}

/// Merge `duplicate_id` into `id`: the survivor keeps its facts and gains the duplicate's
/// phones (and national ID or passport when it had none); the duplicate is kept, pointing at
/// the survivor; both histories stay readable from the survivor. Everything recorded about
/// the duplicate (contacts, classification, cases, episodes, samples, trace tasks, notices)
/// moves to the survivor in the same transaction, and the neighbourhood is classified
/// again; what cannot be combined (two cases, two quarantines in force) is refused first.
pub fn merge(
    conn: &mut AnyConnection,
    actor: &Actor,
    policy: Rules,
    id: &str,
    input: MergePeople,
) -> AppResult<PersonOut> {
    let scope = actor.scope(Action::PersonMerge)?;
    let reason = require_reason(&input.reason)?;
    let dup_id = input.duplicate_id.to_string();
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (survivor, dup) = lock_pair(conn, &scope, id, &dup_id)?;
        rules::check_merge(
            &survivor.row.id,
            survivor.row.national_id_here(),
            survivor.row.merged_into.is_some(),
            &dup.row.id,
            dup.row.national_id_here(),
            dup.row.merged_into.is_some(),
        )
        .map_err(AppError::conflict)?;
        versioned::expect(input.version, survivor.row.version)?;
        versioned::expect(input.duplicate_version, dup.row.version)?;
        rules::check_merge_records(
            &merge_side(conn, &survivor.row.id)?,
            &merge_side(conn, &dup.row.id)?,
        )?;
        let (dup_after, surv_after) = merged(&survivor, &dup, &actor.user_id, at);
        // the duplicate first: a national ID moving across must leave it before it arrives
        versioned::applied(
            store::update(conn, &dup_after, dup.row.version)?,
            dup.row.version,
        )?;
        versioned::applied(
            store::update(conn, &surv_after, survivor.row.version)?,
            survivor.row.version,
        )?;
        store::resolve_flags_between(
            conn,
            &survivor.row.id,
            &dup.row.id,
            "merged",
            &actor.user_id,
            at,
        )?;
        let w = who(actor, &scope, &survivor.row.unit_path);
        Event::on(Entity::Person, &dup.row.id, "merged_into")
            .before(&snapshot(&dup))
            .after(&snapshot(&dup_after))
            .reason(&reason)
            .write(conn, &w, at)?;
        Event::on(Entity::Person, &survivor.row.id, "merged")
            .before(&snapshot(&survivor))
            .after(&snapshot(&surv_after))
            .reason(&reason)
            .write(conn, &w, at)?;
        move_records(conn, &w, policy, &surv_after.row, &dup.row, at, &reason)?;
        Ok(PersonOut::from(&surv_after))
    })
}

/// Lock the record kept (`id`) and the duplicate for the merge; both must be in the
/// actor's jurisdiction.
fn lock_pair(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: &str,
    dup_id: &str,
) -> AppResult<(Person, Person)> {
    let survivor = match store::get_for_update(conn, id)? {
        Some(p) if scope.covers(&p.row.unit_path) => p,
        _ => return Err(AppError::not_found("person")),
    };
    let dup = match store::get_for_update(conn, dup_id)? {
        Some(p) if scope.covers(&p.row.unit_path) => p,
        _ => {
            return Err(AppError::field(
                "duplicate_id",
                "no such person in your jurisdiction",
            ))
        }
    };
    Ok((survivor, dup))
}

/// The duplicate and the survivor after the merge, as (duplicate, survivor): the duplicate
/// points at the survivor, which gains its phones and fills its own gaps from it. The
/// duplicate's national ID (its own, or pending) moves when the survivor has none.
fn merged(survivor: &Person, dup: &Person, by: &str, at: NaiveDateTime) -> (Person, Person) {
    let mut phones = survivor.phones.clone();
    for p in &dup.phones {
        if !phones.contains(p) {
            phones.push(p.clone());
        }
    }
    let moves_nid =
        survivor.row.national_id_here().is_none() && dup.row.national_id_here().is_some();
    let dup_after = Person {
        row: PersonRow {
            merged_into: Some(survivor.row.id.clone()),
            national_id: if moves_nid {
                None
            } else {
                dup.row.national_id.clone()
            },
            pending_national_id: if moves_nid {
                None
            } else {
                dup.row.pending_national_id.clone()
            },
            version: dup.row.version + 1,
            updated_by: Some(by.to_string()),
            updated_at: at,
            ..dup.row.clone()
        },
        phones: dup.phones.clone(),
    };
    let surv_after = Person {
        row: PersonRow {
            national_id: if moves_nid {
                dup.row.national_id.clone()
            } else {
                survivor.row.national_id.clone()
            },
            pending_national_id: if moves_nid {
                dup.row.pending_national_id.clone()
            } else {
                survivor.row.pending_national_id.clone()
            },
            passport_no: survivor
                .row
                .passport_no
                .clone()
                .or(dup.row.passport_no.clone()),
            nationality: survivor
                .row
                .nationality
                .clone()
                .or(dup.row.nationality.clone()),
            birth_date: survivor.row.birth_date.or(dup.row.birth_date),
            birth_year: survivor.row.birth_year.or(dup.row.birth_year),
            sex: survivor.row.sex.or(dup.row.sex),
            version: survivor.row.version + 1,
            updated_by: Some(by.to_string()),
            updated_at: at,
            ..survivor.row.clone()
        },
        phones,
    };
    (dup_after, surv_after)
}
