//! Check-in (a bed, or why not) and check-out.

use super::*;
use crate::service::versioned;

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The episode ordered to this site; or find the person by `national_id` or `name`.
    pub episode_id: Option<String>,
    pub national_id: Option<String>,
    pub name: Option<String>,
    /// A room to put them in (default: the first room that may take them).
    pub room_id: Option<String>,
    /// A bed (default: the first free bed of the room).
    pub bed_id: Option<String>,
    /// When it happened (default: now): not before the episode's last move, at most a few
    /// minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a move more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// Check a person in: their ordered episode becomes active with a bed. Refused when the camp
/// or room is full, or when the room would mix an F0 with others or two admission cohorts.
pub fn check_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    input: CheckIn,
    rules: &Rules,
) -> AppResult<Outcome<CampResident>> {
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (site, _) = visible_site(conn, actor, Action::QuarantineCommand, site_id)?;
        // queue behind any other check-in at this site until this transaction ends
        store::lock_site(conn, &site.id)?;
        // a phone sending the same check-in again gets the same answer
        if let Some(id) = &input.episode_id {
            if let Some(e) = store::get_episode(conn, id)? {
                if e.state == crate::domain::quarantine::EpisodeState::Active
                    && e.site_id.as_deref() == Some(site.id.as_str())
                {
                    return Ok(Outcome::Existing(residents_out(conn, vec![e])?.remove(0)));
                }
            }
        }
        let e = find_expected(conn, &site, &input)?;
        let roles =
            crate::service::quarantine::roles_over(conn, actor, Action::QuarantineCommand, &e)?;
        let command = crate::domain::quarantine::check_in_command(e.state)?;
        let role = commanding_role(&roles, Mode::Concentrated, command)?;
        let reason = input.backdate_reason.as_deref();
        let h = moved_at(rules, at, &e, input.at, reason)?;
        let residents = store::residents(conn, &site.id)?;
        if residents.len() as i64 >= i64::from(site.capacity) {
            return Err(AppError::conflict(format!(
                "the camp is full: {} of {} places taken",
                residents.len(),
                site.capacity
            )));
        }
        let mut all = residents.clone();
        all.push(e.clone());
        let levels = current_levels(conn, &all)?;
        let arriving = Occupant {
            level: levels.get(&e.person_id).copied().unwrap_or(e.level),
            admitted_at: h.at,
        };
        if arriving.level == 0 {
            return Err(AppError::conflict(
                "the person is a confirmed case (F0): treatment, not a quarantine camp",
            ));
        }
        let (room_id, bed_id) = choose_bed(
            conn,
            &site,
            &residents,
            &levels,
            arriving,
            &input,
            Duration::hours(rules.cohort_hours),
        )?;
        let command = EpisodeTransition {
            command,
            version: e.version,
            reason: None,
            days: None,
            day1: None,
            destination: None,
            home_id: None,
            commitment_signed: None,
            at: input.at,
            backdate_reason: input.backdate_reason.clone(),
        };
        let placement = Placement {
            room_id: Some(room_id),
            bed_id: Some(bed_id),
            ..Default::default()
        };
        let after = apply(conn, actor, role, &e, &command, placement, &h)?;
        Ok(Outcome::Created(
            residents_out(conn, vec![after])?.remove(0),
        ))
    })
}

fn find_expected(
    conn: &mut AnyConnection,
    site: &SiteRow,
    input: &CheckIn,
) -> AppResult<EpisodeRow> {
    let found = match (&input.episode_id, &input.national_id, &input.name) {
        (Some(id), _, _) => match store::get_episode(conn, id)? {
            Some(e) if e.site_id.as_deref() == Some(site.id.as_str()) => {
                crate::domain::quarantine::check_in_command(e.state)?;
                vec![e]
            }
            _ => {
                return Err(AppError::field(
                    "episode_id",
                    "nobody is ordered to this site with this episode",
                ))
            }
        },
        (None, Some(nid), _) => {
            let nid: String = nid.chars().filter(|c| !c.is_whitespace()).collect();
            store::expected_at_site(conn, &site.id, Some(&nid), None)?
        }
        (None, None, Some(name)) => {
            store::expected_at_site(conn, &site.id, None, Some(&fold(name)))?
        }
        (None, None, None) => {
            return Err(AppError::field(
                "episode_id",
                "give the episode, the national ID or the name",
            ))
        }
    };
    match found.len() {
        0 => Err(AppError::not_found("person expected at this site")),
        1 => Ok(found.into_iter().next().expect("one")),
        n => Err(AppError::conflict(format!(
            "{n} people expected here match: check in by national ID or episode"
        ))),
    }
}

/// The room and bed for an arrival: the one asked for, or the first that may take them.
fn choose_bed(
    conn: &mut AnyConnection,
    site: &SiteRow,
    residents: &[EpisodeRow],
    levels: &HashMap<String, i32>,
    arriving: Occupant,
    input: &CheckIn,
    window: Duration,
) -> AppResult<(String, String)> {
    let beds = store::beds_of_site(conn, &site.id)?;
    let taken: HashSet<&str> = residents
        .iter()
        .filter_map(|e| e.bed_id.as_deref())
        .collect();
    let wanted_room = match (&input.bed_id, &input.room_id) {
        (Some(b), _) => {
            let bed = beds
                .iter()
                .find(|x| &x.id == b)
                .ok_or_else(|| AppError::field("bed_id", "no such bed at this site"))?;
            if taken.contains(bed.id.as_str()) {
                return Err(AppError::conflict("the bed is taken"));
            }
            Some(bed.room_id.clone())
        }
        (None, Some(r)) => match store::get_room(conn, r)? {
            Some(room) if room.site_id == site.id => Some(room.id),
            _ => return Err(AppError::field("room_id", "no such room at this site")),
        },
        (None, None) => None,
    };
    let rooms = store::rooms_of(conn, &site.id)?;
    let mut last_refusal = None;
    for room in rooms
        .iter()
        .filter(|r| wanted_room.as_ref().is_none_or(|w| w == &r.id))
    {
        let room_beds: Vec<&BedRow> = beds.iter().filter(|b| b.room_id == room.id).collect();
        let occupants: Vec<Occupant> = residents
            .iter()
            .filter(|e| e.room_id.as_deref() == Some(room.id.as_str()))
            .map(|e| Occupant {
                level: levels.get(&e.person_id).copied().unwrap_or(e.level),
                admitted_at: e.admitted_at.unwrap_or(e.created_at),
            })
            .collect();
        match admit_to_room(room_beds.len(), &occupants, arriving, window) {
            Ok(()) => {
                let bed = match &input.bed_id {
                    Some(b) => room_beds.iter().find(|x| &x.id == b),
                    None => room_beds.iter().find(|x| !taken.contains(x.id.as_str())),
                };
                if let Some(bed) = bed {
                    return Ok((room.id.clone(), bed.id.clone()));
                }
                last_refusal = Some(format!("room {}: the room is full", room.name));
            }
            Err(why) => last_refusal = Some(format!("room {}: {why}", room.name)),
        }
    }
    Err(AppError::conflict(match (wanted_room, last_refusal) {
        (Some(_), Some(why)) => format!("refused: {why}"),
        (None, Some(why)) => format!("no room can take this person (last tried: {why})"),
        (_, None) => "the site has no rooms laid out".to_string(),
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutKind {
    /// Released at the end of quarantine.
    Release,
    /// To hospital: the person is positive.
    Hospital,
    /// To home quarantine, where the regime allows after a negative test.
    Home,
}

#[derive(Debug, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CheckOut {
    pub episode_id: String,
    pub kind: CheckOutKind,
    pub version: i32,
    /// At least 3 characters.
    #[schema(min_length = 3, max_length = 1000, pattern = "\\S *\\S *\\S")]
    pub reason: Option<String>,
    /// When it happened (default: now): not before the episode's last move, at most a few
    /// minutes ahead of the server's clock.
    #[schema(value_type = Option<crate::service::InstantSince2020>)]
    pub at: Option<DateTime<Utc>>,
    /// Why a move more than the backdating limit (30 days) ago is recorded now.
    #[schema(min_length = 3, max_length = 1000)]
    pub backdate_reason: Option<String>,
}

/// Check a resident out: a release, or a transfer to hospital or home. The bed is freed.
pub fn check_out(
    conn: &mut AnyConnection,
    actor: &Actor,
    site_id: &str,
    input: CheckOut,
    rules: &Rules,
) -> AppResult<EpisodeOut> {
    let at = now();
    crate::db::write_tx(conn, |conn| {
        let (site, _) = visible_site(conn, actor, Action::QuarantineCommand, site_id)?;
        store::lock_site(conn, &site.id)?;
        let e = match store::get_episode(conn, &input.episode_id)? {
            Some(e)
                if e.site_id.as_deref() == Some(site.id.as_str())
                    && e.state == crate::domain::quarantine::EpisodeState::Active =>
            {
                e
            }
            _ => {
                return Err(AppError::field(
                    "episode_id",
                    "no resident of this site has this episode",
                ))
            }
        };
        versioned::expect(input.version, e.version)?;
        let (command, destination) = match input.kind {
            CheckOutKind::Release => (EpisodeCommand::Release, None),
            CheckOutKind::Hospital => (EpisodeCommand::Transfer, Some(Destination::Hospital)),
            CheckOutKind::Home => (EpisodeCommand::Transfer, Some(Destination::Home)),
        };
        let roles =
            crate::service::quarantine::roles_over(conn, actor, Action::QuarantineCommand, &e)?;
        let role = commanding_role(&roles, Mode::Concentrated, command)?;
        let h = moved_at(rules, at, &e, input.at, input.backdate_reason.as_deref())?;
        let t = EpisodeTransition {
            command,
            version: e.version,
            reason: input.reason.clone(),
            days: None,
            day1: None,
            destination,
            home_id: None,
            commitment_signed: None,
            at: input.at,
            backdate_reason: input.backdate_reason.clone(),
        };
        let after = apply(conn, actor, role, &e, &t, Placement::default(), &h)?;
        let tests = store::tests_of(conn, &after.id)?;
        Ok(episode_out(&after, &tests, vn_date(at)))
    })
}
