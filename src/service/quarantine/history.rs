//! The events of an episode.

use super::*;

/// The events of an episode, oldest first.
pub fn episode_history(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    q: HistoryQuery,
) -> AppResult<Page<crate::service::EventOut>> {
    let (e, _) = visible_episode(conn, actor, Action::QuarantineRead, id)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = events::history(conn, "episode", &[e.id], paging.after(), paging.fetch())?;
    let items: Vec<crate::service::EventOut> = rows
        .into_iter()
        .map(crate::service::EventOut::from)
        .collect();
    Ok(paging.page(items, |e: &crate::service::EventOut| e.id.clone()))
}
