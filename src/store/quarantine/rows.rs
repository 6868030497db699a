//! The rows of the quarantine tables, as diesel reads and writes them.

use crate::domain::home::{FollowUpKind, FollowUpState, HouseholdRole, ReportSource, SignState};
use crate::domain::quarantine::{EpisodeState, Mode};
use crate::schema::{
    beds, daily_reports, episode_tests, episodes, follow_ups, homes, regimes, rooms, site_areas,
    sites, violations, warning_signs,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = regimes)]
pub struct RegimeRow {
    pub id: String,
    pub code: String,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub document: String,
    pub province_code: Option<String>,
    pub rules: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sites)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: crate::domain::camps::SiteKind,
    pub address: String,
    pub unit_code: String,
    pub unit_path: String,
    pub capacity: i32,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = site_areas)]
pub struct AreaRow {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rooms)]
pub struct RoomRow {
    pub id: String,
    pub site_id: String,
    pub area_id: Option<String>,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = beds)]
pub struct BedRow {
    pub id: String,
    pub room_id: String,
    pub site_id: String,
    pub label: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = homes, treat_none_as_null = true)]
pub struct HomeRow {
    pub id: String,
    pub address: String,
    pub unit_code: String,
    pub unit_path: String,
    pub own_room: bool,
    pub own_toilet: bool,
    pub no_shared_air_conditioning: bool,
    pub officer_id: Option<String>,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = episodes, treat_none_as_null = true)]
pub struct EpisodeRow {
    pub id: String,
    pub person_id: String,
    pub level: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub mode: Mode,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: EpisodeState,
    pub regime_id: String,
    pub day1: NaiveDate,
    pub days: i32,
    pub release_from: NaiveDate,
    pub monitoring_days: i32,
    pub site_id: Option<String>,
    pub room_id: Option<String>,
    pub bed_id: Option<String>,
    pub home_id: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub household_role: HouseholdRole,
    pub admitted_at: Option<NaiveDateTime>,
    pub released_at: Option<NaiveDateTime>,
    pub monitoring_from: Option<NaiveDate>,
    pub closed_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = crate::store::OptText, serialize_as = crate::store::OptText)]
    pub destination: Option<crate::domain::quarantine::Destination>,
    pub next_episode_id: Option<String>,
    pub previous_episode_id: Option<String>,
    pub commitment_signed_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub unit_path: String,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When it was ordered (`created_at`: when that was recorded).
    pub ordered_at: NaiveDateTime,
    /// When it entered its state (`updated_at`: when that was recorded).
    pub state_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = episode_tests)]
pub struct TestRow {
    pub id: String,
    pub episode_id: String,
    pub phase: String,
    pub day: i32,
    pub due_date: NaiveDate,
    #[diesel(deserialize_as = crate::store::OptText, serialize_as = crate::store::OptText)]
    pub result: Option<crate::domain::samples::TestResult>,
    pub resulted_at: Option<NaiveDateTime>,
    pub recorded_by: Option<String>,
    pub superseded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = warning_signs)]
pub struct SignRow {
    pub id: String,
    pub home_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: SignState,
    pub posted_by: Option<String>,
    pub posted_at: NaiveDateTime,
    pub photo_ref: Option<String>,
    pub removed_by: Option<String>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_reason: Option<String>,
    pub unit_path: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = daily_reports)]
pub struct ReportRow {
    pub id: String,
    pub episode_id: String,
    pub report_date: NaiveDate,
    pub temperature_c: Option<f64>,
    pub symptoms: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub source: ReportSource,
    pub recorded_by: Option<String>,
    pub created_at: NaiveDateTime,
    /// When it was given (`created_at`: when it was recorded).
    pub reported_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = follow_ups)]
pub struct FollowUpRow {
    pub id: String,
    pub episode_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: FollowUpKind,
    pub for_date: NaiveDate,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: FollowUpState,
    pub note: Option<String>,
    pub unit_path: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = violations)]
pub struct ViolationRow {
    pub id: String,
    pub episode_id: String,
    pub person_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: crate::domain::home::ViolationKind,
    pub occurred_at: NaiveDateTime,
    pub note: Option<String>,
    pub unit_path: String,
    pub reported_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub handled_at: Option<NaiveDateTime>,
    pub handled_by: Option<String>,
    pub outcome: Option<String>,
}
