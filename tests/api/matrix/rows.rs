//! The rows of the matrix: one per operation of the document, with the request it sends
//! against a target place from an actor of the own place, and how its answers are checked.

use super::world::Place;
use crate::helpers::local_ago;
use serde_json::{json, Value};

/// How a row is checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// The request names a record (in the path or the body): for another place's record the
    /// answer is never 2xx and is the answer to an id nobody has.
    Same,
    /// The request names a unit of another place: never 2xx (units are public, so the
    /// answer may say it is outside the jurisdiction).
    NoSuccess,
    /// A list or a read of the actor's own jurisdiction: it never holds another place's
    /// records or people.
    Leak,
    /// A registration of someone who lives in another place: a notice there (202), never a
    /// record.
    Notifies,
    /// A batch naming another place's records: answered item by item, and each item as an
    /// unknown id's.
    Batch,
    /// Nothing of a jurisdiction: the actor's own account, the public tree and regimes.
    Public,
}

pub struct Row {
    pub method: &'static str,
    /// The path as the document writes it.
    pub path: &'static str,
    pub kind: Kind,
    /// The request against a target place (the records named), from an actor of `own`.
    pub url: fn(&Place, &Place) -> String,
    pub body: fn(&Place, &Place) -> Option<Value>,
}

fn none(_: &Place, _: &Place) -> Option<Value> {
    None
}

macro_rules! row {
    ($m:literal, $path:literal, $k:ident, |$t:ident, $o:ident| $url:expr) => {
        Row {
            method: $m,
            path: $path,
            kind: Kind::$k,
            url: |$t, $o| {
                let _ = (&$t, &$o);
                $url
            },
            body: none,
        }
    };
    ($m:literal, $path:literal, $k:ident, |$t:ident, $o:ident| $url:expr, $body:expr) => {
        Row {
            method: $m,
            path: $path,
            kind: Kind::$k,
            url: |$t, $o| {
                let _ = (&$t, &$o);
                $url
            },
            body: |$t, $o| {
                let _ = (&$t, &$o);
                Some($body)
            },
        }
    };
}

pub fn rows() -> Vec<Row> {
    vec![
        // accounts
        row!(
            "POST",
            "/api/v1/auth/login",
            Public,
            |t, o| "/api/v1/auth/login".into(),
            json!({"username": "nobody.here", "password": "not-a-password"})
        ),
        row!(
            "POST",
            "/api/v1/auth/logout",
            Public,
            |t, o| "/api/v1/auth/logout".into(),
            json!({"refresh_token": "not-a-token"})
        ),
        row!(
            "POST",
            "/api/v1/auth/password",
            Public,
            |t, o| "/api/v1/auth/password".into(),
            json!({"current_password": "not-the-password", "new_password": "another-long-one"})
        ),
        row!(
            "POST",
            "/api/v1/auth/refresh",
            Public,
            |t, o| "/api/v1/auth/refresh".into(),
            json!({"refresh_token": "not-a-token"})
        ),
        row!("GET", "/api/v1/me", Public, |t, o| "/api/v1/me".into()),
        row!("GET", "/api/v1/users", Leak, |t, o| {
            "/api/v1/users?limit=200".into()
        }),
        row!(
            "POST",
            "/api/v1/users",
            NoSuccess,
            |t, o| "/api/v1/users".into(),
            json!({"username": format!("new.{}", t.district), "display_name": "x", "password": "a-long-password", "grant": {"role": "police_tracer", "unit_code": t.district}})
        ),
        row!("GET", "/api/v1/users/{id}", Same, |t, o| format!(
            "/api/v1/users/{}",
            t.user
        )),
        row!(
            "PATCH",
            "/api/v1/users/{id}",
            Same,
            |t, o| format!("/api/v1/users/{}", t.user),
            json!({"version": 1, "active": false})
        ),
        row!("GET", "/api/v1/users/{id}/history", Same, |t, o| format!(
            "/api/v1/users/{}/history",
            t.user
        )),
        row!(
            "POST",
            "/api/v1/users/{id}/grants",
            Same,
            |t, o| format!("/api/v1/users/{}/grants", t.user),
            json!({"role": "health_officer", "unit_code": o.district})
        ),
        row!(
            "POST",
            "/api/v1/users/{id}/grants/{grant_id}/revoke",
            Same,
            |t, o| format!("/api/v1/users/{}/grants/{}/revoke", t.user, t.grant),
            json!({"reason": "left the team"})
        ),
        row!(
            "POST",
            "/api/v1/users/{id}/unlock",
            Same,
            |t, o| format!("/api/v1/users/{}/unlock", t.user),
            json!({"reason": "asked by phone"})
        ),
        // units and regimes: public data
        row!("GET", "/api/v1/units", Public, |t, o| "/api/v1/units?q=van"
            .into()),
        row!("GET", "/api/v1/units/{code}", Public, |t, o| format!(
            "/api/v1/units/{}",
            t.district
        )),
        row!(
            "GET",
            "/api/v1/units/{code}/children",
            Public,
            |t, o| format!("/api/v1/units/{}/children", t.district)
        ),
        row!(
            "GET",
            "/api/v1/units/{code}/risk-level",
            Public,
            |t, o| format!("/api/v1/units/{}/risk-level?scale=nq128", t.district)
        ),
        row!(
            "GET",
            "/api/v1/units/{code}/risk-levels",
            Public,
            |t, o| format!("/api/v1/units/{}/risk-levels", t.commune)
        ),
        row!(
            "POST",
            "/api/v1/units/{code}/risk-levels",
            NoSuccess,
            |t, o| format!("/api/v1/units/{}/risk-levels", t.commune),
            json!({"scale": "nq128", "level": "yellow", "reason": "two cases this week"})
        ),
        row!(
            "POST",
            "/api/v1/units/{code}/villages",
            NoSuccess,
            |t, o| format!("/api/v1/units/{}/villages", t.commune),
            json!({"name": "Thôn Mới"})
        ),
        row!("GET", "/api/v1/regimes", Public, |t, o| "/api/v1/regimes"
            .into()),
        row!("GET", "/api/v1/regimes/{id}", Public, |t, o| {
            "/api/v1/regimes/vn-2021-07-14.v1".into()
        }),
        row!(
            "POST",
            "/api/v1/regimes",
            Public,
            |t, o| "/api/v1/regimes".into(),
            json!({"code": "x", "effective_from": "2021-01-01", "document": "x", "rules": {}})
        ),
        // retention: national, nothing of a jurisdiction (a dry run changes nothing)
        row!(
            "GET",
            "/api/v1/privacy/retention-policies",
            Public,
            |t, o| "/api/v1/privacy/retention-policies".into()
        ),
        row!(
            "POST",
            "/api/v1/privacy/retention-policies",
            Public,
            |t, o| "/api/v1/privacy/retention-policies".into(),
            json!({"rules": []})
        ),
        row!(
            "POST",
            "/api/v1/privacy/purge",
            Public,
            |t, o| "/api/v1/privacy/purge".into(),
            json!({"dry_run": true})
        ),
        // people
        row!("GET", "/api/v1/people", Leak, |t, o| {
            "/api/v1/people?limit=200".into()
        }),
        row!(
            "POST",
            "/api/v1/people",
            Notifies,
            |t, o| "/api/v1/people".into(),
            json!({"full_name": "Người Mới", "residence_unit_code": t.commune})
        ),
        row!("GET", "/api/v1/people/duplicates", Leak, |t, o| {
            "/api/v1/people/duplicates?limit=200".into()
        }),
        row!(
            "POST",
            "/api/v1/people/duplicates/{flag_id}/dismiss",
            Same,
            |t, o| format!("/api/v1/people/duplicates/{}/dismiss", t.flag),
            json!({"reason": "two different people"})
        ),
        row!("GET", "/api/v1/people/{id}", Same, |t, o| format!(
            "/api/v1/people/{}",
            t.person
        )),
        row!(
            "PATCH",
            "/api/v1/people/{id}",
            Same,
            |t, o| format!("/api/v1/people/{}", t.person),
            json!({"version": 1, "occupation": "thợ may"})
        ),
        row!("GET", "/api/v1/people/{id}/chain", Same, |t, o| format!(
            "/api/v1/people/{}/chain",
            t.person
        )),
        row!("GET", "/api/v1/people/{id}/contacts", Same, |t, o| format!(
            "/api/v1/people/{}/contacts",
            t.person
        )),
        row!("GET", "/api/v1/people/{id}/exposure", Same, |t, o| format!(
            "/api/v1/people/{}/exposure",
            t.person
        )),
        row!("GET", "/api/v1/people/{id}/dossier", Same, |t, o| format!(
            "/api/v1/people/{}/dossier",
            t.person
        )),
        row!("GET", "/api/v1/access-log", Same, |t, o| format!(
            "/api/v1/access-log?person_id={}",
            t.person
        )),
        row!("GET", "/api/v1/access-log/unusual", Leak, |t, o| {
            format!("/api/v1/access-log/unusual?day={}", &local_ago(0, 12)[..10])
        }),
        row!("GET", "/api/v1/people/{id}/history", Same, |t, o| format!(
            "/api/v1/people/{}/history",
            t.person
        )),
        row!(
            "POST",
            "/api/v1/people/{id}/isolation",
            Same,
            |t, o| format!("/api/v1/people/{}/isolation", t.person),
            json!({})
        ),
        row!(
            "POST",
            "/api/v1/people/{id}/merge",
            Same,
            |t, o| format!("/api/v1/people/{}/merge", t.person),
            json!({"duplicate_id": t.duplicate, "version": 1, "duplicate_version": 1, "reason": "the same person"})
        ),
        // trace
        row!("GET", "/api/v1/cases", Leak, |t, o| {
            "/api/v1/cases?limit=200".into()
        }),
        row!(
            "POST",
            "/api/v1/cases",
            Same,
            |t, o| "/api/v1/cases".into(),
            json!({"person_id": t.person, "confirmation_test": "rt_pcr", "test_ref": "X-1", "sample_date": crate::helpers::date_ago(0)})
        ),
        row!("GET", "/api/v1/cases/{id}", Same, |t, o| format!(
            "/api/v1/cases/{}",
            t.case
        )),
        row!("GET", "/api/v1/cases/{id}/five-s", Same, |t, o| format!(
            "/api/v1/cases/{}/five-s",
            t.case
        )),
        row!("GET", "/api/v1/cases/{id}/landmarks", Same, |t, o| format!(
            "/api/v1/cases/{}/landmarks",
            t.case
        )),
        row!(
            "POST",
            "/api/v1/cases/{id}/landmarks",
            Same,
            |t, o| format!("/api/v1/cases/{}/landmarks", t.case),
            json!({"place": "Chợ", "from_at": local_ago(2, 8), "to_at": local_ago(2, 9)})
        ),
        row!(
            "POST",
            "/api/v1/cases/{id}/transitions",
            Same,
            |t, o| format!("/api/v1/cases/{}/transitions", t.case),
            json!({"command": "start_treatment", "version": 1, "treatment": "facility"})
        ),
        row!("GET", "/api/v1/clusters", Leak, |t, o| "/api/v1/clusters"
            .into()),
        row!(
            "POST",
            "/api/v1/contacts",
            Same,
            |t, o| "/api/v1/contacts".into(),
            json!({"person_id": t.person, "contact_person_id": o.person, "first_at": local_ago(1, 9), "last_at": local_ago(1, 10), "setting": "market", "proximity": "physical"})
        ),
        row!(
            "POST",
            "/api/v1/contacts/{id}/retract",
            Same,
            |t, o| format!("/api/v1/contacts/{}/retract", t.contact),
            json!({"reason": "the wrong person was named"})
        ),
        row!("GET", "/api/v1/reviews", Leak, |t, o| "/api/v1/reviews"
            .into()),
        row!(
            "POST",
            "/api/v1/reviews/{id}/resolve",
            Same,
            |t, o| format!("/api/v1/reviews/{}/resolve", t.review),
            json!({"decision": "keep", "reason": "still a contact"})
        ),
        // workflow
        row!("GET", "/api/v1/investigations", Leak, |t, o| {
            "/api/v1/investigations?limit=200".into()
        }),
        row!("GET", "/api/v1/investigations/{id}", Same, |t, o| format!(
            "/api/v1/investigations/{}",
            t.investigation
        )),
        row!(
            "POST",
            "/api/v1/investigations/{id}/transitions",
            Same,
            |t, o| format!("/api/v1/investigations/{}/transitions", t.investigation),
            json!({"command": "start_tracing", "version": 1})
        ),
        row!("GET", "/api/v1/trace-tasks", Leak, |t, o| {
            "/api/v1/trace-tasks?limit=200".into()
        }),
        row!(
            "POST",
            "/api/v1/trace-tasks",
            Same,
            |t, o| "/api/v1/trace-tasks".into(),
            json!({"case_id": t.case, "person_ids": [t.person], "team": "Tổ 2"})
        ),
        row!(
            "POST",
            "/api/v1/trace-tasks/{id}/transitions",
            Same,
            |t, o| format!("/api/v1/trace-tasks/{}/transitions", t.task),
            json!({"command": "start", "version": 1})
        ),
        row!("GET", "/api/v1/public/landmarks", Public, |t, o| {
            "/api/v1/public/landmarks".into()
        }),
        // zones
        row!("GET", "/api/v1/zones", Leak, |t, o| {
            "/api/v1/zones?limit=200".into()
        }),
        row!(
            "POST",
            "/api/v1/zones",
            NoSuccess,
            |t, o| "/api/v1/zones".into(),
            json!({"name": "Vùng mới", "level": "soft_lockdown", "unit_codes": [t.commune]})
        ),
        row!("GET", "/api/v1/zones/{id}", Same, |t, o| format!(
            "/api/v1/zones/{}",
            t.zone
        )),
        row!("GET", "/api/v1/zones/{id}/residents", Same, |t, o| format!(
            "/api/v1/zones/{}/residents",
            t.zone
        )),
        row!(
            "POST",
            "/api/v1/zones/{id}/transitions",
            Same,
            |t, o| format!("/api/v1/zones/{}/transitions", t.zone),
            json!({"command": "activate", "version": 1})
        ),
        row!(
            "GET",
            "/api/v1/zones/{id}/sampling-rounds",
            Same,
            |t, o| format!("/api/v1/zones/{}/sampling-rounds", t.zone)
        ),
        row!(
            "POST",
            "/api/v1/zones/{id}/sampling-rounds",
            Same,
            |t, o| format!("/api/v1/zones/{}/sampling-rounds", t.zone),
            json!({"kind": "rt_pcr_pooled"})
        ),
        // sync
        row!(
            "POST",
            "/api/v1/sync/push",
            Batch,
            |t, o| "/api/v1/sync/push".into(),
            json!({"batch_id": uuid::Uuid::new_v4(), "items": [{"kind": "contact", "data": {"id": uuid::Uuid::new_v4(), "person_id": t.person, "contact_person_id": o.person, "first_at": local_ago(1, 9), "last_at": local_ago(1, 10), "setting": "market", "proximity": "physical"}}]})
        ),
        row!("GET", "/api/v1/sync/pull", Leak, |t, o| {
            "/api/v1/sync/pull?kind=people".into()
        }),
        // quarantine
        row!("GET", "/api/v1/episodes", Leak, |t, o| {
            "/api/v1/episodes?limit=200".into()
        }),
        row!(
            "POST",
            "/api/v1/episodes",
            Same,
            |t, o| "/api/v1/episodes".into(),
            json!({"person_id": t.duplicate, "mode": "home"})
        ),
        row!("GET", "/api/v1/episodes/due-for-release", Leak, |t, o| {
            "/api/v1/episodes/due-for-release".into()
        }),
        row!("GET", "/api/v1/quarantine/not-isolated", Leak, |t, o| {
            "/api/v1/quarantine/not-isolated".into()
        }),
        row!("GET", "/api/v1/episodes/{id}", Same, |t, o| format!(
            "/api/v1/episodes/{}",
            t.episode
        )),
        row!(
            "GET",
            "/api/v1/episodes/{id}/history",
            Same,
            |t, o| format!("/api/v1/episodes/{}/history", t.episode)
        ),
        row!(
            "POST",
            "/api/v1/episodes/{id}/regime",
            Same,
            |t, o| format!("/api/v1/episodes/{}/regime", t.episode),
            json!({"regime_id": "vn-2020-03-12.v1", "version": 1, "reason": "ordered under the old regime"})
        ),
        row!(
            "GET",
            "/api/v1/episodes/{id}/reports",
            Same,
            |t, o| format!("/api/v1/episodes/{}/reports", t.home_episode)
        ),
        row!(
            "POST",
            "/api/v1/episodes/{id}/reports",
            Same,
            |t, o| format!("/api/v1/episodes/{}/reports", t.home_episode),
            json!({"source": "self", "temperature_c": 36.8, "symptoms": []})
        ),
        row!(
            "POST",
            "/api/v1/episodes/{id}/tests/{test_id}/result",
            Same,
            |t, o| format!(
                "/api/v1/episodes/{}/tests/{}/result",
                t.home_episode, t.test
            ),
            json!({"result": "negative"})
        ),
        row!(
            "POST",
            "/api/v1/episodes/{id}/transitions",
            Same,
            |t, o| format!("/api/v1/episodes/{}/transitions", t.episode),
            json!({"command": "cancel", "version": 1, "reason": "ordered twice"})
        ),
        row!(
            "POST",
            "/api/v1/episodes/{id}/violations",
            Same,
            |t, o| format!("/api/v1/episodes/{}/violations", t.home_episode),
            json!({"kind": "left_home"})
        ),
        row!("GET", "/api/v1/follow-ups", Leak, |t, o| {
            "/api/v1/follow-ups".into()
        }),
        row!(
            "POST",
            "/api/v1/follow-ups/{id}/resolution",
            Same,
            |t, o| format!("/api/v1/follow-ups/{}/resolution", t.follow_up),
            json!({"note": "called, feels well"})
        ),
        row!(
            "POST",
            "/api/v1/homes",
            NoSuccess,
            |t, o| "/api/v1/homes".into(),
            json!({"address": "Số 2", "unit_code": t.commune, "checklist": {"own_room": true, "own_toilet": true, "no_shared_air_conditioning": true}})
        ),
        row!("GET", "/api/v1/homes/{id}", Same, |t, o| format!(
            "/api/v1/homes/{}",
            t.home
        )),
        row!(
            "PATCH",
            "/api/v1/homes/{id}",
            Same,
            |t, o| format!("/api/v1/homes/{}", t.home),
            json!({"version": 1})
        ),
        row!(
            "POST",
            "/api/v1/homes/{id}/signs",
            Same,
            |t, o| format!("/api/v1/homes/{}/signs", t.home),
            json!({"photo_ref": "img-2"})
        ),
        row!("GET", "/api/v1/signs/not-removed", Leak, |t, o| {
            "/api/v1/signs/not-removed".into()
        }),
        row!(
            "POST",
            "/api/v1/signs/{id}/removal",
            Same,
            |t, o| format!("/api/v1/signs/{}/removal", t.sign),
            json!({"version": 1, "reason": "torn by the wind"})
        ),
        row!("GET", "/api/v1/police/quarantine-list", Leak, |t, o| {
            "/api/v1/police/quarantine-list".into()
        }),
        row!(
            "POST",
            "/api/v1/violations/{id}/handling",
            Same,
            |t, o| format!("/api/v1/violations/{}/handling", t.violation),
            json!({"outcome": "warned and returned home"})
        ),
        // camps
        row!("GET", "/api/v1/sites", Leak, |t, o| "/api/v1/sites".into()),
        row!(
            "POST",
            "/api/v1/sites",
            NoSuccess,
            |t, o| "/api/v1/sites".into(),
            json!({"id": format!("new-{}", t.district), "name": "Khu mới", "kind": "hotel", "address": "x", "unit_code": t.district, "capacity": 5})
        ),
        row!("GET", "/api/v1/sites/{id}", Same, |t, o| format!(
            "/api/v1/sites/{}",
            t.site
        )),
        row!(
            "POST",
            "/api/v1/sites/{id}/areas",
            Same,
            |t, o| format!("/api/v1/sites/{}/areas", t.site),
            json!({"name": "Khu B"})
        ),
        row!(
            "POST",
            "/api/v1/sites/{id}/rooms",
            Same,
            |t, o| format!("/api/v1/sites/{}/rooms", t.site),
            json!({"name": "B1", "beds": 2})
        ),
        row!(
            "POST",
            "/api/v1/sites/{id}/check-ins",
            Same,
            |t, o| format!("/api/v1/sites/{}/check-ins", t.site),
            json!({"episode_id": o.episode})
        ),
        row!(
            "POST",
            "/api/v1/sites/{id}/check-outs",
            Same,
            |t, o| format!("/api/v1/sites/{}/check-outs", t.site),
            json!({"episode_id": o.episode, "kind": "release", "version": 1})
        ),
        row!("GET", "/api/v1/sites/{id}/residents", Same, |t, o| format!(
            "/api/v1/sites/{}/residents",
            t.site
        )),
        // samples
        row!("GET", "/api/v1/samples", Same, |t, o| format!(
            "/api/v1/samples?person_id={}",
            t.person
        )),
        row!(
            "POST",
            "/api/v1/samples",
            Same,
            |t, o| "/api/v1/samples".into(),
            json!({"person_id": t.person, "kind": "rt_pcr"})
        ),
        row!(
            "POST",
            "/api/v1/samples/collections",
            Batch,
            |t, o| "/api/v1/samples/collections".into(),
            json!({"items": [{"sample_id": t.sample, "barcode": "M-1001"}]})
        ),
        row!("GET", "/api/v1/samples/overdue", Leak, |t, o| {
            "/api/v1/samples/overdue".into()
        }),
        row!("GET", "/api/v1/samples/{id}", Same, |t, o| format!(
            "/api/v1/samples/{}",
            t.sample
        )),
        row!(
            "POST",
            "/api/v1/samples/{id}/result",
            Same,
            |t, o| format!("/api/v1/samples/{}/result", t.sample),
            json!({"result": "negative", "version": 1})
        ),
        row!(
            "POST",
            "/api/v1/pools",
            Same,
            |t, o| "/api/v1/pools".into(),
            json!({"barcode": "POOL-9", "sample_ids": [t.sample, o.sample]})
        ),
        row!("GET", "/api/v1/pools/{id}", Same, |t, o| format!(
            "/api/v1/pools/{}",
            t.pool
        )),
        row!(
            "POST",
            "/api/v1/labs",
            NoSuccess,
            |t, o| "/api/v1/labs".into(),
            json!({"id": format!("lab-{}", t.district), "name": "Lab", "unit_code": t.district})
        ),
        row!("GET", "/api/v1/labs/{id}/figures", Same, |t, o| format!(
            "/api/v1/labs/{}/figures",
            t.lab
        )),
        row!(
            "POST",
            "/api/v1/labs/{id}/receipts",
            Same,
            |t, o| format!("/api/v1/labs/{}/receipts", t.lab),
            json!({"barcodes": ["M-1001"]})
        ),
        row!(
            "POST",
            "/api/v1/labs/{id}/results",
            Same,
            |t, o| format!("/api/v1/labs/{}/results", t.lab),
            json!({"items": [{"barcode": "M-1001", "result": "negative"}]})
        ),
        // reports
        row!("GET", "/api/v1/line-lists/{list}", Leak, |t, o| {
            "/api/v1/line-lists/not_sampled?limit=200".into()
        }),
        row!("GET", "/api/v1/reports/five-s", NoSuccess, |t, o| format!(
            "/api/v1/reports/five-s?unit={}",
            t.district
        )),
        row!("GET", "/api/v1/reports/weekly", NoSuccess, |t, o| format!(
            "/api/v1/reports/weekly?unit={}",
            t.district
        )),
        // notices
        row!("GET", "/api/v1/notices", Leak, |t, o| {
            "/api/v1/notices?limit=200".into()
        }),
        row!("GET", "/api/v1/notices/{id}", Same, |t, o| format!(
            "/api/v1/notices/{}",
            t.notice
        )),
        row!(
            "POST",
            "/api/v1/notices/{id}/accept",
            Same,
            |t, o| format!("/api/v1/notices/{}/accept", t.notice),
            json!({"version": 1})
        ),
        row!(
            "POST",
            "/api/v1/notices/{id}/reject",
            Same,
            |t, o| format!("/api/v1/notices/{}/reject", t.notice),
            json!({"version": 1, "reason": "not living here"})
        ),
    ]
}
