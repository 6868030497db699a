//! Read models for the reports: the 5S delays and the weekly figures, as SQL aggregations
//! that both databases run (window functions, `GROUP BY`, `UNION ALL`), never a loop over
//! rows in Rust.
//!
//! The statements are assembled here from fixed text and values this module renders itself:
//! unit paths and codes (from the database or checked against it), instants, and numbers.
//! Every text value goes through [`lit`], which doubles quotes, the SQL standard escape that
//! SQLite and PostgreSQL (with `standard_conforming_strings`, the default) both read.

use crate::db::AnyConnection;
use crate::domain::reports::FiveSStep;
use crate::domain::rules::Rules;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};

/// A text literal.
pub fn lit(s: &str) -> String {
    debug_assert!(!s.contains('\0'));
    format!("'{}'", s.replace('\0', "").replace('\'', "''"))
}

/// The SQL dialect bits that differ between the two databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(conn: &AnyConnection) -> Dialect {
        match conn {
            AnyConnection::Sqlite(_) => Dialect::Sqlite,
            AnyConnection::Postgresql(_) => Dialect::Postgres,
        }
    }

    /// An instant, comparable with a timestamp column.
    pub fn at(self, t: NaiveDateTime) -> String {
        // the text diesel writes to SQLite: "%F %T%.f"
        let s = lit(&t.format("%F %T%.f").to_string());
        match self {
            Dialect::Sqlite => s,
            Dialect::Postgres => format!("CAST({s} AS TIMESTAMP)"),
        }
    }

    /// Seconds from instant `a` to instant `b`, as a double.
    pub fn secs(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Sqlite => format!("((julianday({b}) - julianday({a})) * 86400.0)"),
            Dialect::Postgres => {
                format!("CAST(EXTRACT(EPOCH FROM ({b} - {a})) AS DOUBLE PRECISION)")
            }
        }
    }
}

/// `col` inside any of the ranges.
pub fn in_ranges(col: &str, ranges: &[(String, String)]) -> String {
    if ranges.is_empty() {
        return "1 = 0".into();
    }
    let parts: Vec<String> = ranges
        .iter()
        .map(|(lo, hi)| format!("({col} >= {} AND {col} < {})", lit(lo), lit(hi)))
        .collect();
    format!("({})", parts.join(" OR "))
}

/// How rows are grouped: all together, or by the child unit whose subtree holds `col`
/// (`''` for rows at the unit itself).
#[derive(Debug, Clone)]
pub enum Grouping {
    Total,
    Children(Vec<(String, String, String)>),
}

impl Grouping {
    fn expr(&self, col: &str) -> String {
        match self {
            Grouping::Total => "'total'".into(),
            Grouping::Children(children) if children.is_empty() => "''".into(),
            Grouping::Children(children) => {
                let arms: String = children
                    .iter()
                    .map(|(code, lo, hi)| {
                        format!(
                            " WHEN {col} >= {} AND {col} < {} THEN {}",
                            lit(lo),
                            lit(hi),
                            lit(code)
                        )
                    })
                    .collect();
                format!("(CASE{arms} ELSE '' END)")
            }
        }
    }
}

// ---- 5S -------------------------------------------------------------------------------

/// Which F0s a 5S figure is about.
pub struct CaseFilter {
    /// One case.
    pub case_id: Option<String>,
    /// Cases recorded in these parts of the tree.
    pub ranges: Vec<(String, String)>,
    /// Confirmed in `[from, to)`.
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// The per-F1, per-step delays of the selected F0s, as the named CTEs `f1` (case, F1, the
/// case's unit path, confirmation) and `d` (one row per F1 and step: when, seconds after the
/// confirmation clamped at 0, and whether it is past the step's deadline at `now`).
fn five_s_ctes(dialect: Dialect, f: &CaseFilter, dl: &Rules, now: NaiveDateTime) -> String {
    let as_of = dialect.at(now);
    format!(
        "{},\n{}",
        listed_ctes(dialect, &five_s_cases(dialect, f), &as_of),
        step_ctes(dialect, dl, now, &as_of)
    )
}

/// The condition on `cases c` of the F0s selected.
fn five_s_cases(dialect: Dialect, f: &CaseFilter) -> String {
    let mut case_where = vec!["c.state <> 'not_a_case'".to_string()];
    if let Some(id) = &f.case_id {
        case_where.push(format!("c.id = {}", lit(id)));
    }
    case_where.push(in_ranges("c.unit_path", &f.ranges));
    if let Some(t) = f.from {
        case_where.push(format!("c.confirmed_at >= {}", dialect.at(t)));
    }
    if let Some(t) = f.to {
        case_where.push(format!("c.confirmed_at < {}", dialect.at(t)));
    }
    case_where.join(" AND ")
}

/// `cs` (the F0s), `cand` (who met them) and `f1` (those the log says were classified F1
/// through them, with when).
fn listed_ctes(dialect: Dialect, case_where: &str, as_of: &str) -> String {
    // SQLite's planner would rather range over (action, at) than look each person up
    let events_by_entity = match dialect {
        Dialect::Sqlite => "events AS ev INDEXED BY events_entity",
        Dialect::Postgres => "events AS ev",
    };
    format!(
        "WITH cs AS MATERIALIZED (
            SELECT c.id AS case_id, c.person_id AS f0, c.confirmed_at, c.unit_path
            FROM cases c WHERE {case_where}
        ),
        -- the F1s listed through each F0: people who met the F0 and whose classification
        -- event says F1 through them (the event log keeps it when the person's level later
        -- changes, to F0 say)
        cand AS (
            SELECT cs.case_id, cs.f0, cs.confirmed_at, cs.unit_path, ct.person_b AS person_id
            FROM cs JOIN contacts ct ON ct.person_a = cs.f0
            UNION
            SELECT cs.case_id, cs.f0, cs.confirmed_at, cs.unit_path, ct.person_a
            FROM cs JOIN contacts ct ON ct.person_b = cs.f0
        ),
        f1 AS MATERIALIZED (
            SELECT cand.case_id, cand.confirmed_at, cand.unit_path, cand.person_id,
              MIN(ev.at) AS listed_at
            FROM cand JOIN {events_by_entity} ON ev.entity_type = 'person'
              AND ev.entity_id = cand.person_id AND ev.action = 'classified'
              AND ev.at >= cand.confirmed_at AND ev.at <= {as_of}
              AND ev.level = 1 AND ev.via_id = cand.f0
            GROUP BY cand.case_id, cand.confirmed_at, cand.unit_path, cand.person_id
        )"
    )
}

/// `m` (each moment a step was reached), `ms` (the first per step), `d0`, `d` and `dl` (per
/// F1 and step: when, seconds after the confirmation, past the deadline or not).
fn step_ctes(dialect: Dialect, dl: &Rules, now: NaiveDateTime, as_of: &str) -> String {
    let steps: Vec<String> = FiveSStep::ALL
        .iter()
        .map(|s| format!("SELECT {} AS step", lit(s.as_str())))
        .collect();
    let steps = steps.join(" UNION ALL ");
    let deadline_secs: String = FiveSStep::ALL
        .iter()
        .map(|s| {
            format!(
                " WHEN {} THEN {}",
                lit(s.as_str()),
                s.deadline_hours(dl) * 3600
            )
        })
        .collect();
    let raw = dialect.secs("d0.confirmed_at", "d0.at");
    let waited = dialect.secs("d.confirmed_at", &dialect.at(now));
    format!(
        "m AS (
            SELECT f1.case_id, f1.person_id, f1.confirmed_at, f1.unit_path, 'listed' AS step, f1.listed_at AS at FROM f1
            UNION ALL
            SELECT f1.case_id, f1.person_id, f1.confirmed_at, f1.unit_path, 'located', ev.at
            FROM f1 JOIN trace_tasks t ON t.case_id = f1.case_id AND t.person_id = f1.person_id
              JOIN events ev ON ev.entity_type = 'trace_task' AND ev.entity_id = t.id
              AND ev.state = 'done'
            UNION ALL
            SELECT f1.case_id, f1.person_id, f1.confirmed_at, f1.unit_path, 'located', e.ordered_at
            FROM f1 JOIN episodes e ON e.person_id = f1.person_id
            WHERE e.ordered_at >= f1.confirmed_at
            UNION ALL
            SELECT f1.case_id, f1.person_id, f1.confirmed_at, f1.unit_path, st.step, e.admitted_at
            FROM f1 JOIN episodes e ON e.person_id = f1.person_id
              CROSS JOIN (SELECT 'located' AS step UNION ALL SELECT 'isolated') st
            WHERE e.admitted_at IS NOT NULL
              AND (e.released_at IS NULL OR e.released_at >= f1.confirmed_at)
              AND (e.closed_at IS NULL OR e.closed_at >= f1.confirmed_at)
              AND NOT (e.state IN ('absconded', 'transferred') AND e.state_at < f1.confirmed_at)
            UNION ALL
            SELECT f1.case_id, f1.person_id, f1.confirmed_at, f1.unit_path, st.step, s.collected_at
            FROM f1 JOIN samples s ON s.person_id = f1.person_id
              CROSS JOIN (SELECT 'located' AS step UNION ALL SELECT 'sampled') st
            WHERE s.collected_at >= f1.confirmed_at
            UNION ALL
            SELECT f1.case_id, f1.person_id, f1.confirmed_at, f1.unit_path, 'resulted', s.resulted_at
            FROM f1 JOIN samples s ON s.person_id = f1.person_id
            WHERE s.collected_at >= f1.confirmed_at AND s.resulted_at IS NOT NULL
        ),
        -- one row per F1 with the first time of each step; what happened after the moment
        -- the figures are taken at has not happened yet
        ms AS MATERIALIZED (
            SELECT case_id, person_id, confirmed_at, unit_path,
              MIN(CASE WHEN step = 'listed' THEN at END) AS t_listed,
              MIN(CASE WHEN step = 'located' THEN at END) AS t_located,
              MIN(CASE WHEN step = 'isolated' THEN at END) AS t_isolated,
              MIN(CASE WHEN step = 'sampled' THEN at END) AS t_sampled,
              MIN(CASE WHEN step = 'resulted' THEN at END) AS t_resulted
            FROM m WHERE at <= {as_of}
            GROUP BY case_id, person_id, confirmed_at, unit_path
        ),
        d0 AS (
            SELECT ms.case_id, ms.person_id, ms.unit_path, ms.confirmed_at, st.step,
              CASE st.step WHEN 'listed' THEN ms.t_listed WHEN 'located' THEN ms.t_located WHEN 'isolated' THEN ms.t_isolated WHEN 'sampled' THEN ms.t_sampled WHEN 'resulted' THEN ms.t_resulted END AS at
            FROM ms CROSS JOIN ({steps}) st
        ),
        d AS (
            SELECT d0.*,
              CASE WHEN d0.at IS NULL THEN NULL WHEN {raw} < 0 THEN 0.0 ELSE {raw} END AS secs,
              CASE d0.step{deadline_secs} END AS deadline
            FROM d0
        ),
        -- SQLite's julianday arithmetic is exact to about 10 µs: a step done on the
        -- deadline's second is on time
        dl AS (
            SELECT d.*, CASE WHEN (d.secs IS NOT NULL AND d.secs > d.deadline + 0.001)
                OR (d.secs IS NULL AND {waited} > d.deadline) THEN 1 ELSE 0 END AS late
            FROM d
        )"
    )
}

/// One step's figures over a group of F1s.
#[derive(Debug, Clone, QueryableByName)]
pub struct StepFigures {
    #[diesel(sql_type = Text)]
    pub grp: String,
    #[diesel(sql_type = Text)]
    pub step: String,
    /// F1s counted.
    #[diesel(sql_type = BigInt)]
    pub people: i64,
    /// Of them, those for whom the step happened.
    #[diesel(sql_type = BigInt)]
    pub done: i64,
    /// Done after the deadline, or not done and the deadline passed.
    #[diesel(sql_type = BigInt)]
    pub past_deadline: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub p50_secs: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub p90_secs: Option<f64>,
}

/// Median and 90th percentile (nearest rank, over the F1s for whom the step happened) and the
/// counts, per group and step.
pub fn five_s_figures(
    conn: &mut AnyConnection,
    f: &CaseFilter,
    dl: &Rules,
    now: NaiveDateTime,
    grouping: &Grouping,
) -> QueryResult<Vec<StepFigures>> {
    let dialect = Dialect::of(conn);
    let grp = grouping.expr("dl.unit_path");
    let sql = format!(
        "{ctes}
        SELECT grp, step, COUNT(*) AS people, COUNT(secs) AS done,
          SUM(late) AS past_deadline,
          -- nearest rank, as domain::reports::nearest_rank: (n * pct + 99) / 100
          MAX(CASE WHEN rn = (n_done * 50 + 99) / 100 THEN secs END) AS p50_secs,
          MAX(CASE WHEN rn = (n_done * 90 + 99) / 100 THEN secs END) AS p90_secs
        FROM (
          SELECT {grp} AS grp, dl.step, dl.secs, dl.late,
            ROW_NUMBER() OVER (PARTITION BY {grp}, dl.step
              ORDER BY CASE WHEN dl.secs IS NULL THEN 1 ELSE 0 END, dl.secs) AS rn,
            COUNT(dl.secs) OVER (PARTITION BY {grp}, dl.step) AS n_done
          FROM dl
        ) r
        GROUP BY grp, step
        ORDER BY grp, step",
        ctes = five_s_ctes(dialect, f, dl, now),
    );
    load(conn, &sql)
}

/// One F1's step.
#[derive(Debug, Clone, QueryableByName)]
pub struct StepRow {
    #[diesel(sql_type = Text)]
    pub case_id: String,
    #[diesel(sql_type = Text)]
    pub person_id: String,
    #[diesel(sql_type = Text)]
    pub step: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamp>)]
    pub at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Double>)]
    pub secs: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub late: i64,
}

/// The steps of each F1 of the selected F0s; `late_only` keeps those past a deadline.
/// Ordered by case, person and step; at most `limit` rows.
pub fn five_s_steps(
    conn: &mut AnyConnection,
    f: &CaseFilter,
    dl: &Rules,
    now: NaiveDateTime,
    late_only: bool,
    limit: i64,
) -> QueryResult<Vec<StepRow>> {
    let dialect = Dialect::of(conn);
    let sql = format!(
        "{ctes}
        SELECT case_id, person_id, step, at, secs, CAST(late AS BIGINT) AS late FROM dl
        {filter}
        ORDER BY case_id, person_id, CASE step WHEN 'listed' THEN 0 WHEN 'located' THEN 1 WHEN 'isolated' THEN 2 WHEN 'sampled' THEN 3 WHEN 'resulted' THEN 4 END
        LIMIT {limit}",
        ctes = five_s_ctes(dialect, f, dl, now),
        filter = if late_only { "WHERE late = 1" } else { "" },
    );
    load(conn, &sql)
}

// ---- weekly figures -------------------------------------------------------------------

/// A count per group and key.
#[derive(Debug, Clone, QueryableByName)]
pub struct Count {
    #[diesel(sql_type = Text)]
    pub grp: String,
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The week's figures for a part of the tree, counted by child unit (`grouping`) and named
/// by `key`: new_f0, new_f1, new_f2, in_camp, at_home, released, samples_taken,
/// samples_positive, samples_overdue, zones_active. Grouped by the output names (`grp`,
/// `key`): PostgreSQL refuses a constant in `GROUP BY`.
pub fn weekly_counts(
    conn: &mut AnyConnection,
    range: &(String, String),
    grouping: &Grouping,
    start: NaiveDateTime,
    end: NaiveDateTime,
    as_of: NaiveDateTime,
    rules: &Rules,
) -> QueryResult<Vec<Count>> {
    let d = Dialect::of(conn);
    let ranges = std::slice::from_ref(range);
    let (s, e) = (d.at(start), d.at(end));
    // the figures "at the end of the week" are taken at `as_of`: the end, or now for the
    // current week
    let a = d.at(as_of);
    let overdue_before = d.at(rules.overdue_before(as_of));
    let g = |col: &str| grouping.expr(col);
    let parts = [
        format!(
            "SELECT {grp} AS grp, 'new_f0' AS key, COUNT(*) AS n FROM cases c
             WHERE {inr} AND c.state <> 'not_a_case' AND c.confirmed_at >= {s} AND c.confirmed_at < {e}
             GROUP BY grp",
            grp = g("c.unit_path"),
            inr = in_ranges("c.unit_path", ranges),
        ),
        // each person once, at the lowest level the week gave them (an F2 who became F1 is
        // a new F1; one who became F0 is counted among the new F0s), a duplicate merged
        // away counting as the record kept
        format!(
            "SELECT grp, CASE WHEN lowest = 1 THEN 'new_f1' ELSE 'new_f2' END AS key,
               COUNT(*) AS n
             FROM (
               SELECT {grp} AS grp, COALESCE(p.merged_into, p.id) AS person, MIN(ev.level) AS lowest
               FROM events ev JOIN persons p ON p.id = ev.entity_id
               WHERE ev.action = 'classified' AND ev.entity_type = 'person'
                 AND ev.at >= {s} AND ev.at < {e} AND {inr}
                 AND ev.level IN (0, 1, 2)
               GROUP BY grp, person
             ) w
             WHERE lowest IN (1, 2)
             GROUP BY grp, key",
            grp = g("p.unit_path"),
            inr = in_ranges("p.unit_path", ranges),
        ),
        format!(
            "SELECT {grp} AS grp, CASE WHEN ep.mode = 'concentrated' THEN 'in_camp' ELSE 'at_home' END AS key,
               COUNT(*) AS n
             FROM episodes ep
             WHERE {inr} AND ep.admitted_at IS NOT NULL AND ep.admitted_at < {a}
               AND (ep.released_at IS NULL OR ep.released_at >= {a})
               AND (ep.closed_at IS NULL OR ep.closed_at >= {a})
               AND NOT (ep.state IN ('transferred', 'absconded') AND ep.state_at < {a})
             GROUP BY grp, key",
            grp = g("ep.unit_path"),
            inr = in_ranges("ep.unit_path", ranges),
        ),
        format!(
            "SELECT {grp} AS grp, 'released' AS key, COUNT(*) AS n FROM episodes ep
             WHERE {inr} AND ep.released_at >= {s} AND ep.released_at < {e}
             GROUP BY grp",
            grp = g("ep.unit_path"),
            inr = in_ranges("ep.unit_path", ranges),
        ),
        format!(
            "SELECT {grp} AS grp, 'samples_taken' AS key, COUNT(*) AS n FROM samples sa
             WHERE {inr} AND sa.collected_at >= {s} AND sa.collected_at < {e}
             GROUP BY grp",
            grp = g("sa.unit_path"),
            inr = in_ranges("sa.unit_path", ranges),
        ),
        format!(
            "SELECT {grp} AS grp, 'samples_positive' AS key, COUNT(*) AS n FROM samples sa
             WHERE {inr} AND sa.result = 'positive' AND sa.resulted_at >= {s} AND sa.resulted_at < {e}
             GROUP BY grp",
            grp = g("sa.unit_path"),
            inr = in_ranges("sa.unit_path", ranges),
        ),
        format!(
            "SELECT {grp} AS grp, 'samples_overdue' AS key, COUNT(*) AS n FROM samples sa
             WHERE {inr} AND sa.collected_at < {overdue_before}
               AND sa.state NOT IN ('rejected', 'cancelled')
               AND (sa.resulted_at IS NULL OR sa.resulted_at >= {a})
             GROUP BY grp",
            grp = g("sa.unit_path"),
            inr = in_ranges("sa.unit_path", ranges),
        ),
        format!(
            "SELECT {grp} AS grp, 'zones_active' AS key, COUNT(*) AS n FROM zones z
             WHERE {inr} AND z.state IN ('active', 'lifted') AND z.start_at < {e}
               AND (z.end_at IS NULL OR z.end_at >= {s})
             GROUP BY grp",
            grp = g("z.unit_path"),
            inr = in_ranges("z.unit_path", ranges),
        ),
    ];
    let mut out = Vec::new();
    for sql in parts {
        out.extend(load::<Count>(conn, &sql)?);
    }
    Ok(out)
}

/// A cordon zone in force at some time during a period.
#[derive(Debug, Clone, QueryableByName)]
pub struct ZoneInForce {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub level: String,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamp>)]
    pub start_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamp>)]
    pub end_at: Option<NaiveDateTime>,
}

pub fn zones_in_force(
    conn: &mut AnyConnection,
    range: &(String, String),
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<ZoneInForce>> {
    let d = Dialect::of(conn);
    let sql = format!(
        "SELECT z.id, z.name, z.level, z.state, z.start_at, z.end_at FROM zones z
         WHERE {inr} AND z.state IN ('active', 'lifted') AND z.start_at < {e}
           AND (z.end_at IS NULL OR z.end_at >= {s})
         ORDER BY z.start_at, z.id",
        inr = in_ranges("z.unit_path", std::slice::from_ref(range)),
        s = d.at(start),
        e = d.at(end),
    );
    load(conn, &sql)
}

fn load<T>(conn: &mut AnyConnection, sql: &str) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    match conn {
        AnyConnection::Postgresql(c) => diesel::sql_query(sql).load(c),
        AnyConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
    }
}

// ---- line lists -----------------------------------------------------------------------

/// F1s and F2s (active classification) in the ranges without a sample collected since they
/// were classified: (person, level, classified at), by person id after `after`.
pub fn not_sampled(
    conn: &mut AnyConnection,
    ranges: &[(String, String)],
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(String, i32, NaiveDateTime)>> {
    use crate::schema::{exposures, samples};
    use diesel::dsl::{exists, not};
    // the cursor, said of the samples too: PostgreSQL merges the two in person order, and
    // without it would read every sample before the cursor on each page (43 ms a page at
    // the end of a 50,000-sample list instead of 0.1 ms)
    let after = after.unwrap_or_default().to_string();
    let sampled = samples::table
        .filter(samples::person_id.eq(exposures::person_id))
        .filter(samples::person_id.gt(after.clone()))
        .filter(samples::collected_at.ge(exposures::classified_at.nullable()));
    let mut q = in_ranges!(exposures::table.into_boxed(), exposures::unit_path, ranges);
    q = q
        .filter(exposures::level.eq_any([1, 2]))
        .filter(exposures::status.eq("active"))
        .filter(exposures::person_id.gt(after))
        .filter(not(exists(sampled)));
    q.select((
        exposures::person_id,
        exposures::level,
        exposures::classified_at,
    ))
    .order(exposures::person_id)
    .limit(limit)
    .load(conn)
}

/// Episodes by id (a page's worth).
pub fn episodes_by_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> QueryResult<Vec<crate::store::quarantine::EpisodeRow>> {
    use crate::schema::episodes;
    episodes::table
        .filter(episodes::id.eq_any(ids))
        .select(crate::store::quarantine::EpisodeRow::as_select())
        .load(conn)
}

/// The unit whose path is `path`.
pub fn unit_at(
    conn: &mut AnyConnection,
    path: &str,
) -> QueryResult<Option<crate::store::units::UnitRow>> {
    use crate::schema::admin_units;
    admin_units::table
        .filter(admin_units::path.eq(path))
        .select(crate::store::units::UnitRow::as_select())
        .get_result(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out() {
        assert_eq!(lit("it's"), "'it''s'");
        assert_eq!(lit("'); DROP TABLE x; --"), "'''); DROP TABLE x; --'");
        assert_eq!(
            in_ranges("p", &[("/01/".into(), "/010".into())]),
            "((p >= '/01/' AND p < '/010'))"
        );
        assert_eq!(in_ranges("p", &[]), "1 = 0");
    }
}
