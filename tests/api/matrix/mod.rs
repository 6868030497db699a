//! The role × operation × jurisdiction matrix, driven by the OpenAPI document: every
//! operation it lists must have a row here (so a new endpoint fails this test until it is
//! covered), and every row runs for every role in Vân Đồn against the same records in
//! another district (Hạ Long) and another province (Việt Yên, Bắc Giang), and against ids
//! nobody has. A foreign record is never answered with a 2xx, and its answer is the one a
//! random id gets; lists never carry a foreign record; camp managers and laboratory staff
//! never receive the personal data they do not need.

mod rows;
mod world;

use crate::helpers::{Resp, TestApp};
use rows::{rows, Kind, Row};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tracing_backend::domain::roles::Role;
use world::{build, notify, Place, OTHER_DISTRICT, OTHER_PROVINCE, OWN};

/// The document's operations, `(method, path)`.
fn documented() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(tracing_backend::api::api_doc()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_documented_operation_has_a_row() {
    let documented = documented();
    let covered: BTreeSet<(String, String)> = rows()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the matrix: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows of operations the document does not have: {stale:?}"
    );
}

/// An answer with the ids it was asked about blanked, to compare two answers.
fn normalised(r: &Resp, ids: &[&str]) -> (u16, String) {
    let mut text = r.text.clone();
    for id in ids {
        text = text.replace(id, "<id>");
    }
    (r.status.as_u16(), text)
}

/// Keys that must never reach a role, in any answer: camp managers need a name and a bed,
/// laboratory staff neither names nor numbers.
fn forbidden_keys(role: Role) -> &'static [&'static str] {
    match role {
        Role::CampManager => &[
            "phones",
            "national_id",
            "passport_no",
            "residence_address",
            "birth_date",
        ],
        Role::LabTechnician => &[
            "full_name",
            "phones",
            "national_id",
            "passport_no",
            "residence_address",
        ],
        _ => &[],
    }
}

fn keys_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if !x.is_null() {
                    out.insert(k.clone());
                }
                keys_in(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys_in(x, out)),
        _ => {}
    }
}

/// One run of the matrix: the app, the three places, and what failed.
struct Matrix<'a> {
    app: &'a TestApp,
    own: &'a Place,
    foreign: [(&'static str, &'a Place); 2],
    failures: Vec<String>,
    checked: usize,
}

impl Matrix<'_> {
    /// A row's request against `target`, from the actor holding `token`.
    async fn send(&mut self, row: &Row, token: &str, target: &Place) -> Resp {
        self.checked += 1;
        let url = (row.url)(target, self.own);
        let body = (row.body)(target, self.own);
        self.app.request(row.method, &url, Some(token), body).await
    }

    fn fail(&mut self, row: &Row, role: Role, what: String) {
        self.failures
            .push(format!("{} {} {role}: {what}", row.method, row.path));
    }

    /// Another place's record answers as an id nobody has (`compare` the two answers).
    async fn as_unknown(
        &mut self,
        row: &Row,
        role: Role,
        token: &str,
        compare: fn(&Resp, &Resp, &[&str]) -> bool,
    ) -> Vec<Resp> {
        let ghost = Place::ghost();
        let unknown = self.send(row, token, &ghost).await;
        let mut answers = Vec::new();
        for (where_, place) in self.foreign {
            let r = self.send(row, token, place).await;
            let mut ids = place.ids();
            ids.extend(ghost.ids());
            if r.status.is_success() && !matches!(row.kind, Kind::Batch) {
                self.fail(row, role, format!("{where_} answered {}", r.status));
            } else if !compare(&r, &unknown, &ids) {
                self.fail(
                    row,
                    role,
                    format!(
                        "{where_} answered {} {} where an unknown id answered {} {}",
                        r.status, r.text, unknown.status, unknown.text
                    ),
                );
            }
            answers.push(r);
        }
        answers.push(unknown);
        answers
    }

    /// Another place's unit is never answered with a 2xx (`allowed`: but this status).
    async fn refused(
        &mut self,
        row: &Row,
        role: Role,
        token: &str,
        allowed: Option<u16>,
    ) -> Vec<Resp> {
        let mut answers = Vec::new();
        for (where_, place) in self.foreign {
            let r = self.send(row, token, place).await;
            if r.status.is_success() && Some(r.status.as_u16()) != allowed {
                self.fail(row, role, format!("{where_} answered {}", r.status));
            }
            answers.push(r);
        }
        answers
    }

    /// An answer that shows a name of the own place was written to the access log, under
    /// its request id, before it was sent.
    fn audited(&mut self, row: &Row, role: Role, r: &Resp) {
        // a person's name is a JSON string that starts with the family name (a unit's name
        // only ends with it)
        let name = format!("\"{} ", self.own.family);
        if !r.status.is_success() || !r.text.contains(&name) {
            return;
        }
        let Some(id) = r.headers.get("x-request-id").and_then(|v| v.to_str().ok()) else {
            return self.fail(row, role, "no request id".into());
        };
        use diesel::prelude::*;
        use tracing_backend::schema::access_records as a;
        let n: i64 = a::table
            .filter(a::request_id.eq(id))
            .count()
            .get_result(&mut self.app.raw_conn())
            .unwrap();
        if n != 1 {
            self.fail(row, role, format!("showed names with {n} access records"));
        }
    }

    /// The own place's answer holds nothing of the others.
    async fn own_only(&mut self, row: &Row, role: Role, token: &str) -> Vec<Resp> {
        let own = self.own;
        let r = self.send(row, token, own).await;
        if row.method == "GET" {
            self.audited(row, role, &r);
        }
        if row.kind == Kind::Leak && r.status.is_success() {
            for (where_, place) in self.foreign {
                let leaked: Vec<String> = place
                    .ids()
                    .into_iter()
                    .chain([place.family.as_str()])
                    .filter(|id| r.text.contains(id))
                    .map(str::to_string)
                    .collect();
                if !leaked.is_empty() {
                    self.fail(row, role, format!("shows {leaked:?} of {where_}"));
                }
            }
        }
        vec![r]
    }

    /// A read of a record is answered to some role in its own place: the row names a record
    /// that exists (writes are not sent to the own place: they would change it).
    async fn reachable(&mut self, row: &Row, roles: &[(Role, String)]) {
        let mut reached = false;
        for (role, token) in roles {
            let own = self.own;
            let r = self.send(row, token, own).await;
            self.audited(row, *role, &r);
            reached |= r.status.is_success();
        }
        if !reached {
            self.failures
                .push(format!("GET {}: no role reads its own record", row.path));
        }
    }

    /// No answer a role receives holds what the role must not see.
    fn least_data(&mut self, row: &Row, role: Role, answers: &[Resp]) {
        for r in answers.iter().filter(|r| r.status.is_success()) {
            let mut keys = BTreeSet::new();
            keys_in(&r.body, &mut keys);
            for k in forbidden_keys(role) {
                if keys.contains(*k) {
                    self.fail(row, role, format!("the answer holds `{k}`"));
                }
            }
        }
    }
}

fn same_answer(a: &Resp, b: &Resp, ids: &[&str]) -> bool {
    normalised(a, ids) == normalised(b, ids)
}

/// The items of a batch's answer, as each was answered.
fn same_items(a: &Resp, b: &Resp, _: &[&str]) -> bool {
    let items = |r: &Resp| -> Vec<Value> {
        let list = r.body.get("results").unwrap_or(&r.body);
        list.as_array()
            .map(|a| {
                a.iter()
                    .map(|i| json!([i["status"], i["problem"], i["detail"]]))
                    .collect()
            })
            .unwrap_or_default()
    };
    a.status == b.status && items(a) == items(b)
}

async fn login_roles(app: &TestApp) -> Vec<(Role, String)> {
    let mut roles = Vec::new();
    for (role, name) in [
        (Role::PoliceTracer, "vd.police"),
        (Role::HealthOfficer, "vd.health"),
        (Role::CommuneOfficer, "vd.commune"),
        (Role::LabTechnician, "vd.lab"),
        (Role::CampManager, "vd.camp"),
        (Role::Admin, "vd.admin"),
    ] {
        roles.push((role, app.login(name, crate::helpers::PASSWORD).await));
    }
    roles.push((
        Role::CdcAnalyst,
        app.token("vd.cdc", Role::CdcAnalyst, OWN.district).await,
    ));
    roles.push((
        Role::DataProtectionOfficer,
        app.token("vd.dpo", Role::DataProtectionOfficer, OWN.district)
            .await,
    ));
    roles
}

#[actix_web::test]
async fn no_role_reaches_a_record_outside_its_jurisdiction() {
    let app = TestApp::new().await;
    let mut own = build(&app, &OWN).await;
    let mut hl = build(&app, &OTHER_DISTRICT).await;
    let mut vy = build(&app, &OTHER_PROVINCE).await;
    // each place is notified by one the actor is not in, so that no actor is a sender
    own.notice = notify(&app, &OTHER_DISTRICT, &own).await;
    hl.notice = notify(&app, &OTHER_PROVINCE, &hl).await;
    vy.notice = notify(&app, &OTHER_DISTRICT, &vy).await;
    let roles = login_roles(&app).await;
    let mut m = Matrix {
        app: &app,
        own: &own,
        foreign: [("another district", &hl), ("another province", &vy)],
        failures: Vec::new(),
        checked: 0,
    };
    for row in rows() {
        if row.kind == Kind::Same && row.method == "GET" {
            m.reachable(&row, &roles).await;
        }
        for (role, token) in &roles {
            let answers = match row.kind {
                Kind::Same => m.as_unknown(&row, *role, token, same_answer).await,
                Kind::Batch => m.as_unknown(&row, *role, token, same_items).await,
                Kind::Notifies => m.refused(&row, *role, token, Some(202)).await,
                Kind::NoSuccess => m.refused(&row, *role, token, None).await,
                Kind::Leak | Kind::Public => m.own_only(&row, *role, token).await,
            };
            m.least_data(&row, *role, &answers);
        }
    }
    assert!(m.checked > 1000, "only {} requests checked", m.checked);
    assert!(
        m.failures.is_empty(),
        "{} failures:\n{}",
        m.failures.len(),
        m.failures.join("\n")
    );
}
