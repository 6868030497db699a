//! The weekly report to the steering committee, as JSON or CSV.

use super::*;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq, Default)]
#[schema(as = ExportFormat)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeeklyQuery {
    /// The unit (GSO code); default: your jurisdiction.
    pub unit: Option<String>,
    /// ISO week, Monday to Sunday in Vietnam ("2021-W05"); default: the current week. From
    /// 2000 to 2100; week 53 only in the years that have one.
    #[param(
        pattern = "^((20[0-9]{2}|2100)-W(0[1-9]|[1-4][0-9]|5[0-2])|(2004|2009|2015|2020|2026|2032|2037|2043|2048|2054|2060|2065|2071|2076|2082|2088|2093|2099)-W53)$"
    )]
    pub week: Option<String>,
    /// json (default) or csv.
    pub format: Option<Format>,
}

/// The week's figures of a unit. A unit's figure is the sum of its children's (and of what is
/// recorded at the unit itself).
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct Figures {
    /// Cases confirmed in the week.
    pub new_f0: i64,
    /// People classified F1 in the week.
    pub new_f1: i64,
    /// People classified F2 in the week.
    pub new_f2: i64,
    /// In a camp at the end of the week.
    pub in_camp: i64,
    /// In home quarantine at the end of the week.
    pub at_home: i64,
    /// Released from quarantine in the week.
    pub released: i64,
    /// Samples collected in the week.
    pub samples_taken: i64,
    /// Positive results in the week.
    pub samples_positive: i64,
    /// Samples without a result past the turnaround deadline at the end of the week.
    pub samples_overdue: i64,
    /// Cordon zones in force at some time in the week.
    pub zones_active: i64,
}

impl Figures {
    fn set(&mut self, key: &str, n: i64) {
        let slot = match key {
            "new_f0" => &mut self.new_f0,
            "new_f1" => &mut self.new_f1,
            "new_f2" => &mut self.new_f2,
            "in_camp" => &mut self.in_camp,
            "at_home" => &mut self.at_home,
            "released" => &mut self.released,
            "samples_taken" => &mut self.samples_taken,
            "samples_positive" => &mut self.samples_positive,
            "samples_overdue" => &mut self.samples_overdue,
            "zones_active" => &mut self.zones_active,
            _ => return,
        };
        *slot += n;
    }

    fn add(&mut self, o: &Figures) {
        for (k, v) in o.values() {
            self.set(k, v);
        }
    }

    fn values(&self) -> [(&'static str, i64); 10] {
        [
            ("new_f0", self.new_f0),
            ("new_f1", self.new_f1),
            ("new_f2", self.new_f2),
            ("in_camp", self.in_camp),
            ("at_home", self.at_home),
            ("released", self.released),
            ("samples_taken", self.samples_taken),
            ("samples_positive", self.samples_positive),
            ("samples_overdue", self.samples_overdue),
            ("zones_active", self.zones_active),
        ]
    }
}

/// The risk levels in force at the end of the week (a district's derived from its communes).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RiskAtEnd {
    pub nq128: Option<RiskLevel>,
    pub qd2686: Option<RiskLevel>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitWeek {
    /// The child unit; for the line of records kept at the unit itself, the unit's own code
    /// with `at_unit_itself`.
    pub unit_code: String,
    pub name: String,
    pub at_unit_itself: bool,
    pub figures: Figures,
    pub five_s: Vec<FiveSStepOut>,
    pub risk: RiskAtEnd,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneWeek {
    pub id: String,
    pub name: String,
    pub level: String,
    pub state: String,
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeeklyReport {
    pub unit_code: String,
    pub unit_name: String,
    pub week: String,
    /// The week in UTC: Monday 00:00 to the next Monday 00:00 in Vietnam.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub totals: Figures,
    /// The 5S of the F0s confirmed in the week.
    pub five_s: Vec<FiveSStepOut>,
    pub risk: RiskAtEnd,
    /// One line per child unit, and one for records kept at the unit itself when there are.
    pub units: Vec<UnitWeek>,
    /// The cordon zones in force during the week.
    pub zones: Vec<ZoneWeek>,
}

pub fn weekly(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: &WeeklyQuery,
    rules: &Rules,
) -> AppResult<WeeklyReport> {
    let scope = actor.scope(Action::ReportRead)?;
    let unit = report_unit(conn, &scope, q.unit.as_deref())?;
    let t = now();
    let week = match &q.week {
        Some(w) => Week::parse(w).map_err(|e| AppError::Validation(vec![e]))?,
        None => Week::containing(vn_date(t)),
    };
    let (start, end) = (week.start_utc(), week.end_utc());
    let range = subtree_range(&unit.path);
    let (children, grouping) = children_grouping(conn, &unit)?;
    // as of the end of the week, or now for the current one
    let as_of = end.min(t);
    let counts = store::weekly_counts(conn, &range, &grouping, start, end, as_of, rules)?;
    let filter = CaseFilter {
        case_id: None,
        ranges: vec![range.clone()],
        from: Some(start),
        to: Some(end),
    };
    let by_child = store::five_s_figures(conn, &filter, rules, as_of, &grouping)?;
    let total_5s = store::five_s_figures(conn, &filter, rules, as_of, &Grouping::Total)?;
    let mut figures: BTreeMap<String, Figures> = BTreeMap::new();
    for c in &counts {
        figures.entry(c.grp.clone()).or_default().set(&c.key, c.n);
    }
    let mut totals = Figures::default();
    for f in figures.values() {
        totals.add(f);
    }
    let mut lines = Vec::new();
    for c in &children {
        lines.push(UnitWeek {
            unit_code: c.code.clone(),
            name: c.name.clone(),
            at_unit_itself: false,
            figures: figures.get(&c.code).cloned().unwrap_or_default(),
            five_s: steps_out(&by_child, &c.code, rules),
            risk: risk_at(conn, c, as_of)?,
        });
    }
    let own = figures.get("").cloned().unwrap_or_default();
    let own_5s = steps_out(&by_child, "", rules);
    if own != Figures::default() || own_5s.iter().any(|s| s.people > 0) {
        lines.push(UnitWeek {
            unit_code: unit.code.clone(),
            name: unit.name.clone(),
            at_unit_itself: true,
            figures: own,
            five_s: own_5s,
            risk: RiskAtEnd::default(),
        });
    }
    let zones = store::zones_in_force(conn, &range, start, end)?
        .into_iter()
        .map(|z| ZoneWeek {
            id: z.id,
            name: z.name,
            level: z.level,
            state: z.state,
            start_at: z.start_at.map(utc),
            end_at: z.end_at.map(utc),
        })
        .collect();
    Ok(WeeklyReport {
        risk: risk_at(conn, &unit, as_of)?,
        unit_code: unit.code,
        unit_name: unit.name,
        week: week.name(),
        from: utc(start),
        to: utc(end),
        totals,
        five_s: steps_out(&total_5s, "total", rules),
        units: lines,
        zones,
    })
}

/// The unit's risk levels at an instant, on both scales (`service::risk` derives them).
fn risk_at(conn: &mut AnyConnection, unit: &UnitRow, at: NaiveDateTime) -> AppResult<RiskAtEnd> {
    let level = |conn: &mut AnyConnection, scale| -> AppResult<Option<RiskLevel>> {
        Ok(crate::service::risk::level_at(conn, unit, scale, at)?.and_then(|l| l.level))
    };
    Ok(RiskAtEnd {
        nq128: level(conn, Scale::Nq128)?,
        qd2686: level(conn, Scale::Qd2686)?,
    })
}

/// The weekly report as CSV: one line per unit, then the total.
pub fn weekly_csv(r: &WeeklyReport) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["unit_code".into(), "unit_name".into()];
    header.extend(
        Figures::default()
            .values()
            .iter()
            .map(|(k, _)| k.to_string()),
    );
    for s in FiveSStep::ALL {
        for part in ["p50_hours", "p90_hours", "past_deadline"] {
            header.push(format!("{}_{part}", s.as_str()));
        }
    }
    header.extend(["risk_nq128".into(), "risk_qd2686".into()]);
    w.write_record(&header).map_err(csv_err)?;
    let line = |code: &str, name: &str, f: &Figures, s: &[FiveSStepOut], risk: &RiskAtEnd| {
        let mut rec: Vec<String> = vec![csv_safe(code), csv_safe(name)];
        rec.extend(f.values().iter().map(|(_, v)| v.to_string()));
        for st in s {
            rec.push(st.p50_hours.map(|h| h.to_string()).unwrap_or_default());
            rec.push(st.p90_hours.map(|h| h.to_string()).unwrap_or_default());
            rec.push(st.past_deadline.to_string());
        }
        rec.push(
            risk.nq128
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
        );
        rec.push(
            risk.qd2686
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
        );
        rec
    };
    for u in &r.units {
        let name = if u.at_unit_itself {
            format!("{} (recorded at the unit itself)", u.name)
        } else {
            u.name.clone()
        };
        w.write_record(line(&u.unit_code, &name, &u.figures, &u.five_s, &u.risk))
            .map_err(csv_err)?;
    }
    w.write_record(line("total", &r.unit_name, &r.totals, &r.five_s, &r.risk))
        .map_err(csv_err)?;
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
}

fn csv_err(e: csv::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("csv: {e}"))
}
