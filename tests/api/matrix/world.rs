//! The records of the matrix: one of each kind, made in three places by their own staff.

use crate::helpers::{local_ago, Resp, TestApp};
use serde_json::{json, Value};
use tracing_backend::domain::roles::Role;

/// Where a set of records lives.
pub struct Spec {
    pub tag: &'static str,
    pub district: &'static str,
    pub commune: &'static str,
    /// The family name its people carry, so that a leak of them is seen in any answer.
    pub family: &'static str,
}

pub const OWN: Spec = Spec {
    tag: "vd",
    district: "203",
    commune: "06994",
    family: "Vân Đồn",
};
pub const OTHER_DISTRICT: Spec = Spec {
    tag: "hl",
    district: "193",
    commune: "06649",
    family: "Hạ Long",
};
pub const OTHER_PROVINCE: Spec = Spec {
    tag: "vy",
    district: "222",
    commune: "07801",
    family: "Việt Yên",
};

/// One of each kind of record, in one place.
#[derive(Clone, Default)]
pub struct Place {
    pub family: String,
    pub district: String,
    pub commune: String,
    pub person: String,
    pub duplicate: String,
    pub flag: String,
    pub case: String,
    pub investigation: String,
    pub contact: String,
    pub task: String,
    pub landmark: String,
    pub review: String,
    pub zone: String,
    pub site: String,
    pub lab: String,
    pub episode: String,
    pub test: String,
    pub home_episode: String,
    pub home: String,
    pub sign: String,
    pub follow_up: String,
    pub violation: String,
    pub sample: String,
    pub pool: String,
    pub notice: String,
    pub user: String,
    pub grant: String,
}

impl Place {
    /// Records nobody has.
    pub fn ghost() -> Place {
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
    pub fn ids(&self) -> Vec<&str> {
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
pub async fn build(app: &TestApp, s: &Spec) -> Place {
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
pub async fn notify(app: &TestApp, from: &Spec, to: &Place) -> String {
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
