//! Epidemiological landmarks of an F0, and the public list for the press.

use super::*;

#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateLandmark {
    pub id: Option<Uuid>,
    /// The place, as it may be published ("Chợ Cái Rồng", "Cảng hàng không Vân Đồn").
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub place: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// The administrative unit of the place.
    pub unit_code: Option<String>,
    pub from_at: DateTime<Utc>,
    pub to_at: DateTime<Utc>,
    /// Published, to ask the public to come forward (place and time only).
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LandmarkOut {
    pub id: String,
    pub case_id: String,
    pub place: String,
    pub address: Option<String>,
    pub unit_code: Option<String>,
    pub from_at: DateTime<Utc>,
    pub to_at: DateTime<Utc>,
    pub public: bool,
}

impl From<&LandmarkRow> for LandmarkOut {
    fn from(l: &LandmarkRow) -> Self {
        LandmarkOut {
            id: l.id.clone(),
            case_id: l.case_id.clone(),
            place: l.place.clone(),
            address: l.address.clone(),
            unit_code: l.unit_code.clone(),
            from_at: utc(l.from_at),
            to_at: utc(l.to_at),
            public: l.public,
        }
    }
}

pub fn add_landmark(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_id: &str,
    input: CreateLandmark,
) -> AppResult<LandmarkOut> {
    let scope = actor.scope(Action::ContactLog)?;
    let at = now();
    crate::db::write_tx(conn, |conn| {
        add_landmark_in_tx(conn, actor, &scope, case_id, input, at)
    })
}

pub fn add_landmark_in_tx(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    case_id: &str,
    input: CreateLandmark,
    at: NaiveDateTime,
) -> AppResult<LandmarkOut> {
    input.validate()?;
    let (from, to) = (instant(input.from_at), instant(input.to_at));
    if to < from {
        return Err(AppError::field("to_at", "must not be before from_at"));
    }
    if from > at + Duration::hours(1) {
        return Err(AppError::field("from_at", "must not be in the future"));
    }
    {
        let case = visible_case(conn, scope, case_id)?;
        if let Some(id) = input.id {
            if let Some(existing) = store::landmarks_of_case(conn, &case.id)?
                .into_iter()
                .find(|l| l.id == id.to_string())
            {
                return Ok(LandmarkOut::from(&existing));
            }
        }
        let unit_path = match &input.unit_code {
            Some(code) => {
                units::get(conn, code)?
                    .filter(|u| u.level != Level::Country)
                    .ok_or_else(|| {
                        AppError::field(
                            "unit_code",
                            format!("no administrative unit has code '{code}'"),
                        )
                    })?
                    .path
            }
            None => case.unit_path.clone(),
        };
        let l = LandmarkRow {
            id: input.id.map(|u| u.to_string()).unwrap_or_else(new_id),
            case_id: case.id.clone(),
            place: tidy(&input.place),
            address: input.address.as_deref().map(tidy).filter(|s| !s.is_empty()),
            unit_code: input.unit_code.clone(),
            unit_path,
            from_at: from,
            to_at: to,
            public: input.public,
            created_by: Some(actor.user_id.clone()),
            created_at: at,
            retracted_at: None,
        };
        store::insert_landmark(conn, &l)?;
        let out = LandmarkOut::from(&l);
        Event::on(Entity::Landmark, &l.id, "added")
            .after(&serde_json::to_value(&out).unwrap_or_default())
            .write(conn, &who(actor, scope, &case.unit_path), at)?;
        Ok(out)
    }
}

pub fn landmarks_of_case(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_id: &str,
) -> AppResult<Vec<LandmarkOut>> {
    let scope = actor.scope(Action::CaseRead)?;
    let case = visible_case(conn, &scope, case_id)?;
    Ok(store::landmarks_of_case(conn, &case.id)?
        .iter()
        .map(LandmarkOut::from)
        .collect())
}

/// A landmark as published: a place and a time, nothing about anyone.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicLandmark {
    pub place: String,
    pub address: Option<String>,
    pub unit_code: Option<String>,
    pub from_at: DateTime<Utc>,
    pub to_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// A province, district or commune code (default: the whole country).
    pub unit: Option<String>,
    /// Places visited in the last N days (default 14, at most 60); not with `from`/`to`.
    #[param(minimum = 1, maximum = 60)]
    pub days: Option<i64>,
    /// Places visited in a period instead: its first local date (from 2020) …
    #[param(pattern = "^(202[0-9]|20[3-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: Option<chrono::NaiveDate>,
    /// … and its last (default: today); a period is at most a year.
    #[param(pattern = "^(202[0-9]|20[3-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: Option<chrono::NaiveDate>,
}

/// The instants `[since, until)` a public list covers: the last `days` days, or a period of
/// local dates.
fn public_period(
    q: &PublicQuery,
    now: NaiveDateTime,
) -> AppResult<(NaiveDateTime, Option<NaiveDateTime>)> {
    use crate::domain::time::{vn_date, vn_midnight};
    if q.from.is_none() && q.to.is_none() {
        let days = q.days.unwrap_or(14);
        if !(1..=60).contains(&days) {
            return Err(AppError::field("days", "must be between 1 and 60"));
        }
        return Ok((now - Duration::days(days), None));
    }
    if q.days.is_some() {
        return Err(AppError::field(
            "days",
            "give days, or a period (from, to), not both",
        ));
    }
    let to = q.to.unwrap_or_else(|| vn_date(now));
    let from = q.from.unwrap_or(to - Duration::days(29));
    let first = vn_date(crate::domain::time::earliest_fact());
    if from < first {
        return Err(AppError::field("from", "must not be before 2020"));
    }
    if to < from {
        return Err(AppError::field("to", "must not be before from"));
    }
    if (to - from).num_days() > 366 {
        return Err(AppError::field("from", "a period is at most a year"));
    }
    Ok((vn_midnight(from), Some(vn_midnight(to + Duration::days(1)))))
}

pub fn public_landmarks(
    conn: &mut AnyConnection,
    q: PublicQuery,
) -> AppResult<Vec<PublicLandmark>> {
    let (since, until) = public_period(&q, now())?;
    let path = match q.unit.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => {
            units::get(conn, code)?
                .ok_or_else(|| AppError::field("unit", format!("no unit has code '{code}'")))?
                .path
        }
        None => "/".into(),
    };
    let rows = store::public_landmarks(conn, subtree_range(&path), since, until, 500)?;
    Ok(rows
        .into_iter()
        .map(|l| PublicLandmark {
            place: l.place,
            address: l.address,
            unit_code: l.unit_code,
            from_at: utc(l.from_at),
            to_at: utc(l.to_at),
        })
        .collect())
}
