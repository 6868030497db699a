//! The role × operation × jurisdiction matrix, driven by the OpenAPI document: every
//! operation it lists must have a row here (so a new endpoint fails this test until it is
//! covered), and every row runs for every role in Vân Đồn against the same records in
//! another district (Hạ Long) and another province (Việt Yên, Bắc Giang), and against ids
//! nobody has. A foreign record is never answered with a 2xx, and its answer is the one a
//! random id gets; lists never carry a foreign record; camp managers and laboratory staff
//! never receive the personal data they do not need.

use crate::helpers::{local_ago, Resp, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tracing_backend::domain::roles::Role;

/// Where a set of records lives.
struct Spec {
    tag: &'static str,
    district: &'static str,
    commune: &'static str,
    /// The family name its people carry, so that a leak of them is seen in any answer.
    family: &'static str,
}

const OWN: Spec = Spec {
    tag: "vd",
    district: "203",
    commune: "06994",
    family: "Vân Đồn",
};
const OTHER_DISTRICT: Spec = Spec {
    tag: "hl",
    district: "193",
    commune: "06649",
    family: "Hạ Long",
};
const OTHER_PROVINCE: Spec = Spec {
    tag: "vy",
    district: "222",
    commune: "07801",
    family: "Việt Yên",
};

/// One of each kind of record, in one place.
#[derive(Clone, Default)]
struct Place {
    family: String,
    district: String,
    commune: String,
    person: String,
    duplicate: String,
    flag: String,
    case: String,
    investigation: String,
    contact: String,
    task: String,
    landmark: String,
    review: String,
    zone: String,
    site: String,
    lab: String,
    episode: String,
    test: String,
    home_episode: String,
    home: String,
    sign: String,
    follow_up: String,
    violation: String,
    sample: String,
    pool: String,
    notice: String,
    user: String,
    grant: String,
}

impl Place {
    /// Records nobody has.
    fn ghost() -> Place {
        let id = || uuid::Uuid::new_v4().to_string();
        Place {
            family: "Không Ai".into(),
            district: "99998".into(),
            commune: "99999".into(),
            person: id(),
            duplicate: id(),
            flag: id(),
            case: id(),
            investigation: id(),
            contact: id(),
            task: id(),
            landmark: id(),
            review: id(),
            zone: id(),
            site: "ghost-camp".into(),
            lab: "ghost-lab".into(),
            episode: id(),
            test: id(),
            home_episode: id(),
            home: id(),
            sign: id(),
            follow_up: id(),
            violation: id(),
            sample: id(),
            pool: id(),
            notice: id(),
            user: id(),
            grant: id(),
        }
    }

    /// Every id of the place, to look for in answers read elsewhere.
    fn ids(&self) -> Vec<&str> {
        [
            &self.person,
            &self.duplicate,
            &self.flag,
            &self.case,
            &self.investigation,
            &self.contact,
            &self.task,
            &self.landmark,
            &self.review,
            &self.zone,
            &self.site,
            &self.lab,
            &self.episode,
            &self.test,
            &self.home_episode,
            &self.home,
            &self.sign,
            &self.follow_up,
            &self.violation,
            &self.sample,
            &self.pool,
            &self.notice,
            &self.user,
            &self.grant,
        ]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect()
    }
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// Make one of each record in a place, as its own staff would.
async fn build(app: &TestApp, s: &Spec) -> Place {
    let t = s.tag;
    let admin = app
        .token(&format!("{t}.admin"), Role::Admin, s.district)
        .await;
    let health = app
        .token(&format!("{t}.health"), Role::HealthOfficer, s.district)
        .await;
    let police = app
        .token(&format!("{t}.police"), Role::PoliceTracer, s.district)
        .await;
    let commune = app
        .token(&format!("{t}.commune"), Role::CommuneOfficer, s.commune)
        .await;
    let lab_tech = app
        .token(&format!("{t}.lab"), Role::LabTechnician, s.district)
        .await;
    let mut p = Place {
        family: s.family.into(),
        district: s.district.into(),
        commune: s.commune.into(),
        site: format!("{t}-camp"),
        lab: format!("{t}-lab"),
        ..Place::default()
    };
    let person = |name: &str| {
        json!({"full_name": format!("{} {name}", s.family), "residence_unit_code": s.commune,
               "birth_year": 1980, "phones": ["0912000777"]})
    };
    let new = |r: Resp| id_of(&r.assert(201)["person"]);
    let f0 = new(app.post("/api/v1/people", &health, person("Gốc")).await);
    p.person = new(app.post("/api/v1/people", &health, person("Một")).await);
    p.duplicate = new(app.post("/api/v1/people", &health, person("Một")).await);
    let flags = app.get("/api/v1/people/duplicates", &health).await;
    p.flag = id_of(&flags.assert(200)["items"][0]);
    let home_person = new(app.post("/api/v1/people", &health, person("Nhà")).await);
    let sampled = new(app.post("/api/v1/people", &health, person("Mẫu")).await);
    let reviewed = new(app.post("/api/v1/people", &health, person("Xét")).await);
    let r = app
        .post(
            "/api/v1/cases",
            &health,
            json!({"person_id": f0, "confirmation_test": "rt_pcr",
               "test_ref": format!("{t}-1"), "sample_date": crate::helpers::date_ago(0)}),
        )
        .await;
    p.case = id_of(&r.assert(201)["case"]);
    let contact = |other: &str| {
        json!({"person_id": f0, "contact_person_id": other, "first_at": local_ago(1, 9),
               "last_at": local_ago(1, 10), "setting": "household", "proximity": "physical"})
    };
    for other in [&p.person, &home_person, &sampled] {
        app.post("/api/v1/contacts", &police, contact(other))
            .await
            .assert(201);
    }
    let r = app
        .post("/api/v1/contacts", &police, contact(&reviewed))
        .await;
    p.contact = id_of(&r.assert(201)["contact"]);
    app.post(
        &format!("/api/v1/contacts/{}/retract", p.contact),
        &police,
        json!({"reason": "the wrong person was named"}),
    )
    .await
    .assert(200);
    let reviews = app.get("/api/v1/reviews", &health).await;
    p.review = id_of(&reviews.assert(200)["items"][0]);
    let inv = app.get("/api/v1/investigations", &health).await;
    p.investigation = id_of(&inv.assert(200)["items"][0]);
    let r = app
        .post(
            "/api/v1/trace-tasks",
            &police,
            json!({"case_id": p.case, "person_ids": [p.person], "team": "Tổ 1"}),
        )
        .await;
    p.task = id_of(&r.assert(201)[0]);
    let r = app
        .post(
            &format!("/api/v1/cases/{}/landmarks", p.case),
            &police,
            json!({"place": "Chợ", "from_at": local_ago(2, 8), "to_at": local_ago(2, 9), "public": true}),
        )
        .await;
    p.landmark = id_of(r.assert(201));
    let r = app
        .post("/api/v1/zones", &health, json!({"name": format!("Vùng {t}"), "level": "soft_lockdown", "unit_codes": [s.commune]}))
        .await;
    p.zone = id_of(r.assert(201));
    app.post(
        "/api/v1/sites",
        &admin,
        json!({"id": p.site, "name": "Khu cách ly", "kind": "barracks", "address": "Doanh trại",
               "unit_code": s.district, "capacity": 20}),
    )
    .await
    .assert(201);
    app.post(
        &format!("/api/v1/sites/{}/rooms", p.site),
        &admin,
        json!({"name": "A1", "beds": 4}),
    )
    .await
    .assert(201);
    app.token(&format!("{t}.camp"), Role::CampManager, &p.site)
        .await;
    app.post(
        "/api/v1/labs",
        &admin,
        json!({"id": p.lab, "name": "CDC", "unit_code": s.district}),
    )
    .await
    .assert(201);
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": p.person, "mode": "concentrated", "site_id": p.site, "regime_id": "vn-2021-07-14.v1"}),
        )
        .await;
    p.episode = id_of(r.assert(201));
    let r = app
        .post(
            "/api/v1/episodes",
            &health,
            json!({"person_id": home_person, "mode": "home"}),
        )
        .await;
    p.home_episode = id_of(r.assert(201));
    let r = app
        .post(
            "/api/v1/homes",
            &commune,
            json!({"address": "Số 1", "unit_code": s.commune, "checklist": {"own_room": true,
                   "own_toilet": true, "no_shared_air_conditioning": true}}),
        )
        .await;
    p.home = id_of(r.assert(201));
    app.post(
        &format!("/api/v1/episodes/{}/transitions", p.home_episode),
        &commune,
        json!({"command": "activate", "version": 1, "home_id": p.home, "commitment_signed": true}),
    )
    .await
    .assert(200);
    let active = app
        .get(&format!("/api/v1/episodes/{}", p.home_episode), &health)
        .await;
    p.test = id_of(&active.assert(200)["tests"][0]);
    let r = app
        .post(
            &format!("/api/v1/homes/{}/signs", p.home),
            &commune,
            json!({"photo_ref": "img-1"}),
        )
        .await;
    p.sign = id_of(r.assert(201));
    let r = app
        .post(
            &format!("/api/v1/episodes/{}/reports", p.home_episode),
            &commune,
            json!({"source": "officer_call", "temperature_c": 38.5, "symptoms": ["cough"]}),
        )
        .await;
    p.follow_up = r.assert(201)["follow_up_id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/episodes/{}/violations", p.home_episode),
            &commune,
            json!({"kind": "left_home", "note": "đi chợ"}),
        )
        .await;
    p.violation = id_of(r.assert(201));
    let order = |kind: &str| json!({"person_id": sampled, "kind": kind});
    let r = app.post("/api/v1/samples", &health, order("rt_pcr")).await;
    p.sample = id_of(r.assert(201));
    let mut pooled = Vec::new();
    for (i, who) in [&sampled, &home_person].into_iter().enumerate() {
        let r = app
            .post(
                "/api/v1/samples",
                &health,
                json!({"person_id": who, "kind": "rt_pcr_pooled"}),
            )
            .await;
        let sid = id_of(r.assert(201));
        app.post(
            "/api/v1/samples/collections",
            &health,
            json!({"items": [{"sample_id": sid, "barcode": format!("{t}-P{i}")}]}),
        )
        .await
        .assert(200);
        pooled.push(sid);
    }
    let r = app
        .post(
            "/api/v1/pools",
            &health,
            json!({"barcode": format!("{t}-POOL"), "sample_ids": pooled}),
        )
        .await;
    p.pool = id_of(r.assert(201));
    let _ = lab_tech;
    let me = app.get("/api/v1/me", &police).await;
    p.user = id_of(me.assert(200));
    p.grant = id_of(&me.body["grants"][0]);
    p
}

/// A residence notice to `to`, sent by the police of `from`.
async fn notify(app: &TestApp, from: &Spec, to: &Place) -> String {
    let police = app
        .login(&format!("{}.police", from.tag), crate::helpers::PASSWORD)
        .await;
    let r = app
        .post(
            "/api/v1/people",
            &police,
            json!({"full_name": format!("{} Khách", to.family), "residence_unit_code": to.commune}),
        )
        .await;
    id_of(r.assert(202))
}

/// How a row is checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
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

struct Row {
    method: &'static str,
    /// The path as the document writes it.
    path: &'static str,
    kind: Kind,
    /// The request against a target place (the records named), from an actor of `own`.
    url: fn(&Place, &Place) -> String,
    body: fn(&Place, &Place) -> Option<Value>,
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

fn rows() -> Vec<Row> {
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

async fn send(app: &TestApp, token: &str, method: &str, url: &str, body: Option<Value>) -> Resp {
    app.request(method, url, Some(token), body).await
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
    let roles: Vec<(Role, String)> = vec![
        (
            Role::PoliceTracer,
            app.login("vd.police", crate::helpers::PASSWORD).await,
        ),
        (
            Role::HealthOfficer,
            app.login("vd.health", crate::helpers::PASSWORD).await,
        ),
        (
            Role::CommuneOfficer,
            app.login("vd.commune", crate::helpers::PASSWORD).await,
        ),
        (
            Role::LabTechnician,
            app.login("vd.lab", crate::helpers::PASSWORD).await,
        ),
        (
            Role::CampManager,
            app.login("vd.camp", crate::helpers::PASSWORD).await,
        ),
        (
            Role::CdcAnalyst,
            app.token("vd.cdc", Role::CdcAnalyst, OWN.district).await,
        ),
        (
            Role::Admin,
            app.login("vd.admin", crate::helpers::PASSWORD).await,
        ),
    ];
    let foreign = [("another district", &hl), ("another province", &vy)];
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    for row in rows() {
        // a read of a record is answered to some role in its own place: the row names a
        // record that exists (writes are not sent to the own place: they would change it)
        if row.kind == Kind::Same && row.method == "GET" {
            let mut reached = false;
            for (_, token) in &roles {
                let r = send(&app, token, "GET", &(row.url)(&own, &own), None).await;
                reached |= r.status.is_success();
            }
            if !reached {
                failures.push(format!("{}: no role reads its own record", row.path));
            }
        }
        for (role, token) in &roles {
            let mut answers: Vec<Resp> = Vec::new();
            match row.kind {
                Kind::Same => {
                    // the ghost first: a foreign record must answer the same
                    let ghost = Place::ghost();
                    let g = send(
                        &app,
                        token,
                        row.method,
                        &(row.url)(&ghost, &own),
                        (row.body)(&ghost, &own),
                    )
                    .await;
                    for (where_, place) in foreign {
                        let r = send(
                            &app,
                            token,
                            row.method,
                            &(row.url)(place, &own),
                            (row.body)(place, &own),
                        )
                        .await;
                        checked += 1;
                        let mut ids = place.ids();
                        ids.extend(ghost.ids());
                        if r.status.is_success() {
                            failures.push(format!(
                                "{} {role}: {where_} answered {}",
                                row.path, r.status
                            ));
                        } else if normalised(&r, &ids) != normalised(&g, &ids) {
                            failures.push(format!(
                                "{} {role}: {where_} answered {} {} where an unknown id answered {} {}",
                                row.path, r.status, r.text, g.status, g.text
                            ));
                        }
                        answers.push(r);
                    }
                    answers.push(g);
                }
                Kind::Notifies => {
                    for (where_, place) in foreign {
                        let r = send(
                            &app,
                            token,
                            row.method,
                            &(row.url)(place, &own),
                            (row.body)(place, &own),
                        )
                        .await;
                        checked += 1;
                        if r.status.is_success() && r.status != 202 {
                            failures.push(format!(
                                "{} {role}: {where_} answered {}",
                                row.path, r.status
                            ));
                        }
                        answers.push(r);
                    }
                }
                Kind::Batch => {
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
                    let ghost = Place::ghost();
                    let g = send(
                        &app,
                        token,
                        row.method,
                        &(row.url)(&ghost, &own),
                        (row.body)(&ghost, &own),
                    )
                    .await;
                    for (where_, place) in foreign {
                        let r = send(
                            &app,
                            token,
                            row.method,
                            &(row.url)(place, &own),
                            (row.body)(place, &own),
                        )
                        .await;
                        checked += 1;
                        if r.status != g.status || items(&r) != items(&g) {
                            failures.push(format!(
                                "{} {role}: {where_} answered {} {} where an unknown id answered {} {}",
                                row.path, r.status, r.text, g.status, g.text
                            ));
                        }
                        answers.push(r);
                    }
                    answers.push(g);
                }
                Kind::NoSuccess => {
                    for (where_, place) in foreign {
                        let r = send(
                            &app,
                            token,
                            row.method,
                            &(row.url)(place, &own),
                            (row.body)(place, &own),
                        )
                        .await;
                        checked += 1;
                        if r.status.is_success() {
                            failures.push(format!(
                                "{} {role}: {where_} answered {}",
                                row.path, r.status
                            ));
                        }
                        answers.push(r);
                    }
                }
                Kind::Leak | Kind::Public => {
                    let r = send(
                        &app,
                        token,
                        row.method,
                        &(row.url)(&own, &own),
                        (row.body)(&own, &own),
                    )
                    .await;
                    checked += 1;
                    if row.kind == Kind::Leak && r.status.is_success() {
                        for (where_, place) in foreign {
                            let leaked: Vec<&str> = place
                                .ids()
                                .into_iter()
                                .chain([place.family.as_str()])
                                .filter(|id| r.text.contains(id))
                                .collect();
                            if !leaked.is_empty() {
                                failures.push(format!(
                                    "{} {role}: shows {leaked:?} of {where_}",
                                    row.path
                                ));
                            }
                        }
                    }
                    answers.push(r);
                }
            }
            for r in answers.iter().filter(|r| r.status.is_success()) {
                let mut keys = BTreeSet::new();
                keys_in(&r.body, &mut keys);
                for k in forbidden_keys(*role) {
                    if keys.contains(*k) {
                        failures.push(format!("{} {role}: the answer holds `{k}`", row.path));
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} requests checked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
