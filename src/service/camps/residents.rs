//! A camp's residents: the least personal data to check them in and out.

use super::*;

/// A camp resident as the camp sees them: enough to recognise and house them, nothing more.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampResident {
    pub episode_id: String,
    /// The person's record id (for the access log; the camp reads no more of it).
    pub person_id: String,
    pub full_name: String,
    pub birth_year: Option<i32>,
    pub sex: Option<String>,
    /// The current level: 0 for F0 (to hospital), 1 for F1, …
    pub level: i32,
    pub state: String,
    pub room_id: Option<String>,
    pub bed_id: Option<String>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub day1: NaiveDate,
    pub release_from: NaiveDate,
    /// The next scheduled test not yet resulted.
    pub next_test_due: Option<NaiveDate>,
    pub version: i32,
}

/// Current levels: an open case is 0, else the active classification, else the ordered one.
pub(super) fn current_levels(
    conn: &mut AnyConnection,
    eps: &[EpisodeRow],
) -> AppResult<HashMap<String, i32>> {
    let people: Vec<String> = eps.iter().map(|e| e.person_id.clone()).collect();
    let mut levels: HashMap<String, i32> =
        eps.iter().map(|e| (e.person_id.clone(), e.level)).collect();
    for x in trace_store::exposures_of(conn, &people)? {
        if x.status == crate::domain::cases::ExposureStatus::Active {
            levels.insert(x.person_id.clone(), x.level);
        }
    }
    for c in trace_store::open_cases_of(conn, &people)? {
        levels.insert(c.person_id.clone(), 0);
    }
    Ok(levels)
}

pub(super) fn residents_out(
    conn: &mut AnyConnection,
    eps: Vec<EpisodeRow>,
) -> AppResult<Vec<CampResident>> {
    let ids: Vec<String> = eps.iter().map(|e| e.person_id.clone()).collect();
    let basics = store::person_basics(conn, &ids)?;
    let levels = current_levels(conn, &eps)?;
    let ep_ids: Vec<String> = eps.iter().map(|e| e.id.clone()).collect();
    let tests = store::tests_of_many(conn, &ep_ids)?;
    Ok(eps
        .into_iter()
        .map(|e| {
            let b = basics.iter().find(|b| b.id == e.person_id);
            CampResident {
                full_name: b.map(|b| b.full_name.clone()).unwrap_or_default(),
                birth_year: b.and_then(|b| b.birth_year),
                sex: b.and_then(|b| b.sex.clone()),
                level: levels.get(&e.person_id).copied().unwrap_or(e.level),
                next_test_due: tests
                    .iter()
                    .filter(|t| t.episode_id == e.id && t.result.is_none())
                    .map(|t| t.due_date)
                    .min(),
                episode_id: e.id,
                person_id: e.person_id,
                state: e.state.to_string(),
                room_id: e.room_id,
                bed_id: e.bed_id,
                admitted_at: e.admitted_at.map(utc),
                day1: e.day1,
                release_from: e.release_from,
                version: e.version,
            }
        })
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentsQuery {
    /// `resident` (checked in, the default) or `expected` (ordered here, not yet arrived).
    pub status: Option<ResidentStatus>,
    /// A national ID or a name (without diacritics is fine) to find one person.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResidentStatus {
    Resident,
    Expected,
}

pub fn residents(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    q: ResidentsQuery,
) -> AppResult<Vec<CampResident>> {
    let (site, _) = visible_site(conn, actor, Action::SiteResidents, site_id)?;
    let eps = match q.status.unwrap_or(ResidentStatus::Resident) {
        ResidentStatus::Resident => store::residents(conn, &site.id)?,
        ResidentStatus::Expected => {
            let (nid, name) = lookup_key(q.q.as_deref());
            store::expected_at_site(conn, &site.id, nid.as_deref(), name.as_deref())?
        }
    };
    residents_out(conn, eps)
}

/// A search key: digits are a national ID, anything else a name.
fn lookup_key(q: Option<&str>) -> (Option<String>, Option<String>) {
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        None => (None, None),
        Some(s) if s.chars().all(|c| c.is_ascii_digit() || c == ' ') => {
            (Some(s.replace(' ', "")), None)
        }
        Some(s) => (None, Some(fold(s))),
    }
}
