//! Reads of personal data leave a trace: each answer that shows people is written to the
//! access log (who, under which role and grant, which operation, the request id, which
//! people) before it is sent. A list is one record naming every person it showed.

use super::AppState;
use crate::auth::Actor;
use crate::db::chore::Chore;
use crate::db::writer::Writer;
use crate::db::AnyConnection;
use crate::db::Pool;
use crate::domain::roles::Action;
use crate::error::AppResult;
use crate::service::privacy::{file_some, file_waiting, Access, Reading, FILE_BATCH};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use std::future::{ready, Ready};
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::RequestId;

/// The people whose personal data an answer shows.
pub trait Shows {
    fn people(&self, out: &mut Vec<String>);

    fn shown(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.people(&mut out);
        out
    }
}

impl<T: Shows> Shows for Vec<T> {
    fn people(&self, out: &mut Vec<String>) {
        self.iter().for_each(|t| t.people(out));
    }
}

impl<T: Shows> Shows for Option<T> {
    fn people(&self, out: &mut Vec<String>) {
        if let Some(t) = self {
            t.people(out);
        }
    }
}

impl<T: Shows> Shows for Box<T> {
    fn people(&self, out: &mut Vec<String>) {
        (**self).people(out);
    }
}

impl<T: Shows> Shows for crate::service::Page<T> {
    fn people(&self, out: &mut Vec<String>) {
        self.items.people(out);
    }
}

/// The id this request is known by in the logs and its answer's `X-Request-Id`.
pub struct RequestRef(pub Option<String>);

impl FromRequest for RequestRef {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<RequestRef, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
        ready(Ok(RequestRef(id)))
    }
}

impl RequestRef {
    /// How the read is named in the access log.
    pub fn reading(&self, operation: &'static str, action: Action) -> Reading {
        Reading {
            operation,
            action,
            request_id: self.0.clone(),
            purpose: None,
            may_lag: false,
        }
    }
}

impl AppState {
    /// Before a read of the access log: file what waits (`service::privacy::file_waiting`).
    pub async fn file_accesses(&self, actor: &Actor, action: Action) -> AppResult<()> {
        let actor = actor.clone();
        self.write(move |c| file_waiting(c, &actor, action).map(drop))
            .await
    }

    /// Run a read whose answer may show people, and write who was shown to the access log
    /// before answering. When the log cannot be written the answer is not sent: no
    /// personal data leaves unrecorded.
    pub async fn read_people<T, F>(&self, actor: &Actor, reading: Reading, f: F) -> AppResult<T>
    where
        T: Shows + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
    {
        Ok(self.read_recorded(actor, reading, f).await?.0)
    }

    /// `read_people`, also giving the id of the access written (none when the answer
    /// showed nobody), for an export that adds its later pages' people to it.
    ///
    /// On SQLite the record goes to the writer and commits with the writes waiting beside
    /// it. On PostgreSQL it is written in the read's own transaction, on the read's
    /// connection, and that commit does not wait for the disk (`db::commit_unflushed`):
    /// the same promise SQLite's `synchronous = NORMAL` makes for every commit. A read
    /// that may come from a replica (`Reading::from_replica`) is recorded on the primary
    /// once it has been read.
    pub async fn read_recorded<T, F>(
        &self,
        actor: &Actor,
        reading: Reading,
        f: F,
    ) -> AppResult<(T, Option<String>)>
    where
        T: Shows + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
    {
        let lagging = reading.may_lag && self.reads_from_replica();
        if self.writer.is_some() || lagging {
            let out = if lagging {
                self.run_lagging(f).await?
            } else {
                self.run(f).await?
            };
            let access = Access::new(actor, &reading, out.shown());
            let id = access.written_id();
            if id.is_some() {
                // SQLite: through the writer; after a replica's read: on the primary
                self.write(move |c| {
                    crate::db::write_tx(c, |c| {
                        crate::db::commit_unflushed(c)?;
                        access.write(c)
                    })
                })
                .await?;
            }
            return Ok((out, id));
        }
        let actor = actor.clone();
        self.run(move |c| {
            crate::db::write_tx(c, |c| {
                let out = f(c)?;
                let access = Access::new(&actor, &reading, out.shown());
                let id = access.written_id();
                if id.is_some() {
                    crate::db::commit_unflushed(c)?;
                    access.write(c)?;
                }
                Ok((out, id))
            })
        })
        .await
    }
}

/// The filer: every `every`, file the people that reads showed into the access log, a
/// batch at a time until none wait. On SQLite each batch goes through the writer, like
/// any command; on PostgreSQL it runs on the pool.
pub(crate) fn filer(pool: Pool, writer: Option<Arc<Writer>>, every: Duration) -> Chore {
    Chore::start("access-filer", every, move || loop {
        let filed = match &writer {
            Some(w) => w.write_blocking(file_some),
            None => pool
                .get()
                .map_err(Into::into)
                .and_then(|mut c| file_some(&mut c)),
        };
        match filed {
            Ok(n) if n as i64 == FILE_BATCH => continue,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not file the access log's waiting people");
                return;
            }
        }
    })
}

// ---- what each answer shows -------------------------------------------------------------

macro_rules! shows_person_id {
    ($($t:ty => $($field:ident).+);+ $(;)?) => {$(
        impl Shows for $t {
            fn people(&self, out: &mut Vec<String>) {
                out.push(self.$($field).+.clone());
            }
        }
    )+};
}

use crate::service::{homes, people, privacy, quarantine, reports, trace, zones};

shows_person_id!(
    people::PersonOut => id;
    quarantine::EpisodeOut => person_id;
    quarantine::NotIsolatedOut => person_id;
    trace::ExposureOut => person_id;
    trace::CaseOut => person_id;
    reports::LineRow => person_id;
    reports::LateOut => person_id;
    reports::F1Steps => person_id;
    zones::ZoneResident => id;
    homes::ViolationOut => person_id;
    crate::service::camps::CampResident => person_id;
    privacy::Dossier => person.id;
);

impl Shows for people::PersonRead {
    fn people(&self, out: &mut Vec<String>) {
        if let people::PersonRead::Found(p) = self {
            p.people(out);
        }
    }
}

impl Shows for trace::ContactOut {
    fn people(&self, out: &mut Vec<String>) {
        out.push(self.person_id.clone());
        out.push(self.contact_person_id.clone());
    }
}

impl Shows for trace::Chain {
    fn people(&self, out: &mut Vec<String>) {
        out.extend(self.nodes.iter().map(|n| n.id.clone()));
    }
}

impl Shows for crate::service::EventOut {
    fn people(&self, out: &mut Vec<String>) {
        if self.entity_type == crate::store::events::Entity::Person.as_str() {
            out.push(self.entity_id.clone());
        }
    }
}

impl Shows for zones::ZoneResidents {
    fn people(&self, out: &mut Vec<String>) {
        self.items.people(out);
    }
}

impl Shows for homes::PoliceListOut {
    fn people(&self, out: &mut Vec<String>) {
        self.absconded.people(out);
        self.violations.people(out);
    }
}

impl Shows for reports::FiveSReport {
    fn people(&self, out: &mut Vec<String>) {
        self.past_deadline.people(out);
    }
}

impl Shows for reports::CaseFiveS {
    fn people(&self, out: &mut Vec<String>) {
        out.push(self.person_id.clone());
        self.f1.people(out);
    }
}

impl Shows for crate::service::notices::NoticeOut {
    fn people(&self, out: &mut Vec<String>) {
        // the identity a notice carries may have no record here: the notice stands for it
        out.push(format!("notice:{}", self.id));
        out.extend(self.matched_person_id.clone());
        out.extend(self.linked_person_id.clone());
    }
}

impl Shows for crate::service::sync::Pulled {
    fn people(&self, out: &mut Vec<String>) {
        self.people.people(out);
        self.contacts.people(out);
        self.exposures.people(out);
    }
}
