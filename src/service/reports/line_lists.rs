//! Line lists: one row shape, keyset paging, CSV in pages.

use super::*;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LineQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50). A CSV export ignores it and streams everything.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// json (default: one page) or csv (the whole list, streamed).
    pub format: Option<Format>,
    /// Why the list is exported: required for a CSV export of names (at least 5
    /// characters), kept in the access log with the people it showed.
    pub purpose: Option<String>,
    /// Pseudonymised: each person (and each reference) a stable pseudonym instead of ids,
    /// with no name, phones or free text; for patterns, not people. Not an access to
    /// personal data, so no purpose is asked.
    pub pseudonymised: Option<bool>,
}

/// A line of a line list: who, and what about them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineRow {
    pub person_id: String,
    /// Name, birth year and phones only for people you may read.
    pub full_name: Option<String>,
    pub birth_year: Option<i32>,
    pub phones: Vec<String>,
    pub residence_unit_code: String,
    /// F0 … F3, when classified.
    pub level: Option<String>,
    /// What the line is about: exposure, sample, follow_up, episode or level_review.
    pub reference_type: String,
    pub reference_id: String,
    /// Since when the line stands (classified, collected, the missed day, admitted, flagged).
    pub since: Option<DateTime<Utc>>,
    /// When it was or is due.
    pub due: Option<DateTime<Utc>>,
    pub detail: Option<String>,
}

/// What a line holds before the person is joined in.
struct Line {
    key: String,
    person_id: String,
    level: Option<i32>,
    reference_type: &'static str,
    reference_id: String,
    since: Option<NaiveDateTime>,
    due: Option<NaiveDateTime>,
    detail: Option<String>,
}

/// What every line list reads with.
struct Ctx<'a> {
    ranges: Vec<(String, String)>,
    cursor: Option<&'a str>,
    fetch: i64,
    rules: &'a Rules,
    t: NaiveDateTime,
    /// Whether the reader may see who met whom.
    contact_read: bool,
}

/// A page of a line list in the actor's jurisdiction, by key after `cursor`.
pub fn line_page(
    conn: &mut AnyConnection,
    actor: &Actor,
    list: LineList,
    paging: &Paging,
    rules: &Rules,
) -> AppResult<Page<LineRow>> {
    actor.scope(Action::ReportRead)?;
    let scope = actor.scope(list.action())?;
    let people_read = actor.scope(Action::PersonRead).ok();
    let ctx = Ctx {
        ranges: scope.ranges(),
        cursor: paging.after(),
        fetch: paging.fetch(),
        rules,
        t: now(),
        contact_read: actor.scope(Action::ContactRead).is_ok(),
    };
    let lines: Vec<Line> = match list {
        LineList::F1NotIsolated => f1_not_isolated(conn, &ctx)?,
        LineList::NotSampled => not_sampled(conn, &ctx)?,
        LineList::SamplesOverdue => samples_overdue(conn, &ctx)?,
        LineList::MissedReports => missed_reports(conn, &ctx)?,
        LineList::DueForRelease => due_for_release(conn, &ctx)?,
        LineList::DowngradeReviews => downgrade_reviews(conn, &ctx)?,
    };
    // the page and the cursor come from the records fetched, before people are joined in, so
    // that a line whose person cannot be shown never ends the list early
    let Page {
        items: lines,
        next_cursor,
    } = paging.page(lines, |l| l.key.clone());
    let ids: Vec<String> = lines.iter().map(|l| l.person_id.clone()).collect();
    let people: HashMap<String, people_store::Person> = people_store::get_many(conn, &ids)?
        .into_iter()
        .map(|p| (p.row.id.clone(), p))
        .collect();
    let items = lines
        .into_iter()
        .map(|l| {
            let p = people.get(&l.person_id).filter(|p| {
                people_read
                    .as_ref()
                    .is_some_and(|r| r.covers(&p.row.unit_path))
            });
            LineRow {
                full_name: p.map(|p| p.row.full_name.clone()),
                birth_year: p.and_then(|p| p.row.birth_year),
                phones: p.map(|p| p.phones.clone()).unwrap_or_default(),
                residence_unit_code: people
                    .get(&l.person_id)
                    .map(|p| p.row.residence_unit_code.clone())
                    .unwrap_or_default(),
                person_id: l.person_id,
                level: l.level.map(|x| label(x as u8)),
                reference_type: l.reference_type.to_string(),
                reference_id: l.reference_id,
                since: l.since.map(utc),
                due: l.due.map(utc),
                detail: l.detail,
            }
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// Lines with each person and reference a stable pseudonym under `key`, and no name,
/// phones or free text: the same person gets the same pseudonym in every list and page.
pub fn pseudonymise(key: &[u8], rows: Vec<LineRow>) -> Vec<LineRow> {
    use crate::domain::privacy::pseudonym;
    rows.into_iter()
        .map(|r| LineRow {
            person_id: pseudonym(key, &r.person_id),
            full_name: None,
            phones: Vec::new(),
            reference_id: pseudonym(key, &format!("{}:{}", r.reference_type, r.reference_id)),
            detail: None,
            ..r
        })
        .collect()
}

/// The CSV header of a line list.
pub fn line_csv_header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(LINE_COLUMNS);
    w.into_inner().unwrap_or_default()
}

/// Lines of a line list as CSV records.
pub fn line_csv(rows: &[LineRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let ts = |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for r in rows {
        let _ = w.write_record([
            csv_safe(&r.person_id),
            csv_safe(r.full_name.as_deref().unwrap_or("")),
            r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            csv_safe(&r.phones.join(" ")),
            csv_safe(&r.residence_unit_code),
            r.level.clone().unwrap_or_default(),
            r.reference_type.clone(),
            csv_safe(&r.reference_id),
            ts(&r.since),
            ts(&r.due),
            csv_safe(r.detail.as_deref().unwrap_or("")),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

fn f1_not_isolated(conn: &mut AnyConnection, c: &Ctx) -> AppResult<Vec<Line>> {
    Ok(
        q_store::f1_not_isolated(conn, &c.ranges, c.cursor, c.fetch)?
            .into_iter()
            .map(|(person, at, via)| Line {
                key: person.clone(),
                person_id: person.clone(),
                level: Some(1),
                reference_type: "exposure",
                reference_id: person,
                since: Some(at),
                due: Some(at + Duration::hours(c.rules.steps.isolating_hours)),
                // through whom says who met whom
                detail: via
                    .filter(|_| c.contact_read)
                    .map(|v| format!("classified through {v}")),
            })
            .collect(),
    )
}

fn not_sampled(conn: &mut AnyConnection, c: &Ctx) -> AppResult<Vec<Line>> {
    Ok(store::not_sampled(conn, &c.ranges, c.cursor, c.fetch)?
        .into_iter()
        .map(|(person, level, at)| Line {
            key: person.clone(),
            person_id: person.clone(),
            level: Some(level),
            reference_type: "exposure",
            reference_id: person,
            since: Some(at),
            due: Some(at + Duration::hours(c.rules.steps.sampling_hours)),
            detail: None,
        })
        .collect())
}

fn samples_overdue(conn: &mut AnyConnection, c: &Ctx) -> AppResult<Vec<Line>> {
    Ok(samples_store::overdue(
        conn,
        &c.ranges,
        c.rules.overdue_before(c.t),
        c.cursor,
        c.fetch,
    )?
    .into_iter()
    .map(|s| Line {
        key: s.id.clone(),
        person_id: s.person_id.clone(),
        level: None,
        reference_type: "sample",
        reference_id: s.id.clone(),
        since: s.collected_at,
        due: s.collected_at.map(|at| c.rules.result_due(at)),
        detail: Some(
            format!(
                "{} {} {}",
                s.kind,
                s.state,
                s.barcode.as_deref().unwrap_or("")
            )
            .trim()
            .to_string(),
        ),
    })
    .collect())
}

fn missed_reports(conn: &mut AnyConnection, c: &Ctx) -> AppResult<Vec<Line>> {
    let rows = q_store::open_follow_ups(conn, &c.ranges, Some("missed_report"), c.cursor, c.fetch)?;
    let ids: Vec<String> = rows.iter().map(|f| f.episode_id.clone()).collect();
    let episodes: HashMap<String, q_store::EpisodeRow> = store::episodes_by_ids(conn, &ids)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    let mut lines = Vec::new();
    for f in rows {
        let episode = episodes.get(&f.episode_id);
        lines.push(Line {
            key: f.id.clone(),
            person_id: episode.map(|e| e.person_id.clone()).unwrap_or_default(),
            level: episode.map(|e| e.level),
            reference_type: "follow_up",
            reference_id: f.id,
            since: Some(vn_midnight(f.for_date)),
            due: Some(vn_midnight(f.for_date + Duration::days(1))),
            detail: Some(format!("no daily report on {}", f.for_date)),
        });
    }
    Ok(lines)
}

fn due_for_release(conn: &mut AnyConnection, c: &Ctx) -> AppResult<Vec<Line>> {
    Ok(q_store::list_episodes(
        conn,
        &c.ranges,
        &EpisodeFilter {
            due_by: Some(vn_date(c.t)),
            after: c.cursor.map(str::to_string),
            fetch: c.fetch,
            ..Default::default()
        },
    )?
    .into_iter()
    .map(|e| Line {
        key: e.id.clone(),
        person_id: e.person_id.clone(),
        level: Some(e.level),
        reference_type: "episode",
        reference_id: e.id.clone(),
        since: e.admitted_at,
        due: Some(vn_midnight(e.release_from)),
        detail: Some(format!("{} quarantine", e.mode)),
    })
    .collect())
}

fn downgrade_reviews(conn: &mut AnyConnection, c: &Ctx) -> AppResult<Vec<Line>> {
    Ok(
        trace_store::open_reviews(conn, &c.ranges, c.cursor, c.fetch)?
            .into_iter()
            .map(|r| Line {
                key: r.id.clone(),
                person_id: r.person_id.clone(),
                level: Some(r.current_level),
                reference_type: "level_review",
                reference_id: r.id.clone(),
                since: Some(r.created_at),
                due: None,
                detail: Some(match r.computed_level {
                    Some(l) => format!("{}; computed {}", r.reason, label(l as u8)),
                    None => format!("{}; no longer classified", r.reason),
                }),
            })
            .collect(),
    )
}
