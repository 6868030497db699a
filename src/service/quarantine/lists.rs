//! The episode lists: by jurisdiction, due for release, F1 not yet isolated.

use super::*;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EpisodeQuery {
    pub state: Option<EpisodeState>,
    pub site_id: Option<String>,
    pub person_id: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn list_episodes(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: EpisodeQuery,
) -> AppResult<Page<EpisodeOut>> {
    let scope = actor.scope(Action::QuarantineRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let filter = EpisodeFilter {
        state: q.state.map(|s| s.as_str().to_string()),
        site_id: q.site_id,
        person_id: q.person_id,
        due_by: None,
        after: paging.after().map(str::to_string),
        fetch: paging.fetch(),
    };
    episodes_page(conn, &scope, filter, &paging)
}

fn episodes_page(
    conn: &mut AnyConnection,
    scope: &Scope,
    filter: EpisodeFilter,
    paging: &Paging,
) -> AppResult<Page<EpisodeOut>> {
    let rows = store::list_episodes(conn, &scope.ranges(), &filter)?;
    let ids: Vec<String> = rows.iter().map(|e| e.id.clone()).collect();
    let tests = store::tests_of_many(conn, &ids)?;
    let today = today();
    let items = rows.iter().map(|e| episode_out(e, &tests, today)).collect();
    Ok(paging.page(items, |e: &EpisodeOut| e.id.clone()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// The local date (default: today).
    pub date: Option<NaiveDate>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Line list: active episodes whose planned end is reached by the date (due for release).
pub fn due_for_release(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: DueQuery,
) -> AppResult<Page<EpisodeOut>> {
    let scope = actor.scope(Action::QuarantineRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let filter = EpisodeFilter {
        due_by: Some(q.date.unwrap_or_else(today)),
        after: paging.after().map(str::to_string),
        fetch: paging.fetch(),
        ..Default::default()
    };
    episodes_page(conn, &scope, filter, &paging)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotIsolatedOut {
    pub person_id: String,
    pub full_name: String,
    pub phones: Vec<String>,
    pub residence_unit_code: String,
    /// Classified F1 since.
    pub classified_at: DateTime<Utc>,
    /// The person they were classified through.
    pub via_person_id: Option<String>,
    /// An order not yet carried out, if any.
    pub ordered_episode_id: Option<String>,
}

/// Line list: F1s never admitted to quarantine (an order not yet carried out is shown).
pub fn not_isolated(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: crate::service::PageQuery,
) -> AppResult<Page<NotIsolatedOut>> {
    let scope = actor.scope(Action::QuarantineRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::f1_not_isolated(conn, &scope.ranges(), paging.after(), paging.fetch())?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let people = people_store::get_many(conn, &ids)?;
    let mut items = Vec::new();
    for (person_id, classified_at, via) in rows {
        let Some(p) = people.iter().find(|p| p.row.id == person_id) else {
            continue;
        };
        let ordered = store::open_episode_of(conn, &person_id)?.map(|e| e.id);
        items.push(NotIsolatedOut {
            person_id,
            full_name: p.row.full_name.clone(),
            phones: p.phones.clone(),
            residence_unit_code: p.row.residence_unit_code.clone(),
            classified_at: utc(classified_at),
            via_person_id: via,
            ordered_episode_id: ordered,
        });
    }
    Ok(paging.page(items, |i: &NotIsolatedOut| i.person_id.clone()))
}
