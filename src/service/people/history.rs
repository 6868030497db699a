//! A person's history, with the records merged into them.

use super::*;

/// The history of a person, including the records merged into them.
pub fn history(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    q: PageQuery,
) -> AppResult<Page<EventOut>> {
    let scope = actor.scope(Action::PersonHistoryRead)?;
    visible(conn, &scope, id)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let ids = store::merged_family(conn, id)?;
    let rows = events::history(conn, ENTITY, &ids, paging.after(), paging.fetch())?;
    let out: Vec<EventOut> = rows.into_iter().map(EventOut::from).collect();
    Ok(paging.page(out, |e| e.id.clone()))
}
