//! Turnaround: the overdue list and a laboratory's figures.

use super::*;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Samples collected longer ago than the deadline and still without a result.
pub fn overdue(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: OverdueQuery,
    rules: &Rules,
) -> AppResult<Page<SampleOut>> {
    let scope = actor.scope(Action::SampleRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let rows = store::overdue(
        conn,
        &scope.ranges(),
        rules.overdue_before(now()),
        paging.after(),
        paging.fetch(),
    )?;
    let items: Vec<SampleOut> = rows.iter().map(SampleOut::from).collect();
    Ok(paging.page(items, |s: &SampleOut| s.id.clone()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabFigures {
    pub lab_id: String,
    pub received: usize,
    pub resulted: usize,
    pub rejected: usize,
    pub positive: usize,
    /// Received, no result yet.
    pub pending: usize,
    /// Resulted after the deadline, or pending past it.
    pub overdue: usize,
    /// Hours from collection to result: the median and the 90th percentile.
    pub turnaround_p50_hours: Option<f64>,
    pub turnaround_p90_hours: Option<f64>,
}

/// A laboratory's figures: volumes and turnaround from collection to result.
pub fn lab_figures(
    conn: &mut AnyConnection,
    actor: &Actor,
    lab_id: &str,
    rules: &Rules,
) -> AppResult<LabFigures> {
    let scope = actor.scope(Action::SampleRead)?;
    let lab = match store::get_lab(conn, lab_id)? {
        Some(l) if scope.covers(&l.unit_path) => l,
        _ => return Err(AppError::not_found("laboratory")),
    };
    let rows = store::lab_samples(conn, &lab.id)?;
    let at = now();
    let mut turnaround: Vec<f64> = rows
        .iter()
        .filter_map(|s| match (s.collected_at, s.resulted_at) {
            (Some(c), Some(r)) => Some((r - c).num_seconds() as f64 / 3600.0),
            _ => None,
        })
        .collect();
    turnaround.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| -> Option<f64> {
        if turnaround.is_empty() {
            return None;
        }
        let i = ((turnaround.len() as f64 - 1.0) * p).round() as usize;
        Some((turnaround[i] * 10.0).round() / 10.0)
    };
    Ok(LabFigures {
        lab_id: lab.id.clone(),
        received: rows.len(),
        resulted: rows
            .iter()
            .filter(|s| s.state == SampleState::Resulted)
            .count(),
        rejected: rows
            .iter()
            .filter(|s| s.state == SampleState::Rejected)
            .count(),
        positive: rows
            .iter()
            .filter(|s| s.result == Some(crate::domain::samples::TestResult::Positive))
            .count(),
        pending: rows
            .iter()
            .filter(|s| s.state == SampleState::Received)
            .count(),
        overdue: rows
            .iter()
            .filter(|s| {
                s.collected_at
                    .is_some_and(|c| rules.is_late(c, s.resulted_at, at))
            })
            .count(),
        turnaround_p50_hours: pct(0.5),
        turnaround_p90_hours: pct(0.9),
    })
}
