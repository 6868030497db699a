//! Where a registration goes: here, or a notice to where the person lives (docs/domain.md §10).

use super::*;

/// A unit people can live in (a province or below), or the field error of its code.
fn residence_unit<'a>(
    unit: Option<&'a units::UnitRow>,
    code: &str,
) -> AppResult<&'a units::UnitRow> {
    let unit = unit.ok_or_else(|| {
        AppError::field(
            "residence_unit_code",
            format!("no administrative unit has code '{code}'"),
        )
    })?;
    if unit.level == Level::Country {
        return Err(AppError::field(
            "residence_unit_code",
            "must be a province or a unit below it",
        ));
    }
    Ok(unit)
}

/// Check that `code` names a unit people can live in, inside `scope`; returns its path.
pub(super) fn residence_path(
    conn: &mut AnyConnection,
    scope: &Scope,
    code: &str,
) -> AppResult<String> {
    let unit = units::get(conn, code)?;
    let unit = residence_unit(unit.as_ref(), code)?;
    if !scope.covers(&unit.path) {
        return Err(AppError::Forbidden(
            "residence_unit_code: the unit is outside your jurisdiction".into(),
        ));
    }
    Ok(unit.path.clone())
}

/// Where a registration goes, from what the registry holds (docs/domain.md, "Across
/// borders"). Nothing in it depends on records outside the actor's jurisdiction but what
/// they are told nothing of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Placement {
    /// Made here, at `path`. `shared_with`: a record outside the jurisdiction holds the
    /// national ID; this one holds it pending, and that record's jurisdiction is notified.
    Here {
        path: String,
        shared_with: Option<NationalIdHolder>,
    },
    /// The person lives outside the actor's jurisdiction: a notice goes there.
    Elsewhere { unit_code: String, path: String },
}

/// Decide where a registration goes. A record holding the national ID that the actor may
/// see answers 409 with its id, as always; one they may not see changes nothing in the
/// answer.
pub(crate) fn placement(
    unit: Option<&units::UnitRow>,
    code: &str,
    scope: &Scope,
    read: Option<&Scope>,
    holders: &[NationalIdHolder],
) -> AppResult<Placement> {
    let unit = residence_unit(unit, code)?;
    let sees = |h: &&NationalIdHolder| {
        scope.covers(&h.unit_path) || read.is_some_and(|r| r.covers(&h.unit_path))
    };
    if let Some(h) = holders.iter().find(sees) {
        return Err(AppError::Conflict {
            detail: "a person with this national ID is already registered".into(),
            existing_id: Some(h.id.clone()),
        });
    }
    if !scope.covers(&unit.path) {
        return Ok(Placement::Elsewhere {
            unit_code: unit.code.clone(),
            path: unit.path.clone(),
        });
    }
    let shared_with = holders
        .iter()
        .find(|h| !h.pending)
        .or(holders.first())
        .cloned();
    Ok(Placement::Here {
        path: unit.path.clone(),
        shared_with,
    })
}

/// What the sender of a notice gave of a person.
pub(crate) fn sent_person(input: &CreatePerson, valid: &rules::ValidPerson) -> SentPerson {
    SentPerson {
        full_name: valid.full_name.clone(),
        birth_date: valid.birth_date,
        birth_year: valid.birth_year,
        sex: valid.sex,
        national_id: valid.national_id.clone(),
        passport_no: valid.passport_no.clone(),
        nationality: valid.nationality.clone(),
        phones: valid.phones.clone(),
        residence_address: opt_text(input.residence_address.clone()),
        residence_unit_code: input.residence_unit_code.clone(),
        occupation: opt_text(input.occupation.clone()),
        workplace: opt_text(input.workplace.clone()),
    }
}

/// The registration a receiving jurisdiction makes of a person sent to it.
pub(crate) fn from_sent(p: &SentPerson) -> CreatePerson {
    CreatePerson {
        id: None,
        full_name: p.full_name.clone(),
        birth_date: p.birth_date,
        birth_year: p.birth_year,
        sex: p.sex,
        national_id: p.national_id.clone(),
        passport_no: p.passport_no.clone(),
        nationality: p.nationality.clone(),
        phones: p.phones.clone(),
        residence_address: p.residence_address.clone(),
        residence_unit_code: p.residence_unit_code.clone(),
        current_location: None,
        occupation: p.occupation.clone(),
        workplace: p.workplace.clone(),
        vaccination_doses: 0,
        source: Some(Source::TracingInterview),
    }
}
