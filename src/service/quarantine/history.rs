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
    let limit = page_size(q.limit);
    let rows = events::history(conn, "episode", &[e.id], q.cursor.as_deref(), limit + 1)?;
    let items: Vec<crate::service::EventOut> = rows
        .into_iter()
        .map(crate::service::EventOut::from)
        .collect();
    Ok(Page::from_overfetch(
        items,
        limit,
        |e: &crate::service::EventOut| e.id.clone(),
    ))
}
