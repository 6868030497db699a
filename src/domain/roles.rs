//! Roles (docs/domain.md §1) and the one permission table every handler asks.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PoliceTracer,
    HealthOfficer,
    LabTechnician,
    CommuneOfficer,
    CampManager,
    CdcAnalyst,
    Admin,
    /// Reads who read whose records, and answers a person's request for their own data.
    DataProtectionOfficer,
}

/// What a grant is bound to: a node of the administrative tree, or quarantine sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Unit,
    Site,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::PoliceTracer,
        Role::HealthOfficer,
        Role::LabTechnician,
        Role::CommuneOfficer,
        Role::CampManager,
        Role::CdcAnalyst,
        Role::Admin,
        Role::DataProtectionOfficer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PoliceTracer => "police_tracer",
            Role::HealthOfficer => "health_officer",
            Role::LabTechnician => "lab_technician",
            Role::CommuneOfficer => "commune_officer",
            Role::CampManager => "camp_manager",
            Role::CdcAnalyst => "cdc_analyst",
            Role::Admin => "admin",
            Role::DataProtectionOfficer => "data_protection_officer",
        }
    }

    /// A camp manager is bound to sites; every other role to a jurisdiction node.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::CampManager => ScopeKind::Site,
            _ => ScopeKind::Unit,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role '{s}'"))
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown Role '{s}'"))
    }
}

impl From<Role> for String {
    fn from(r: Role) -> String {
        r.as_str().to_string()
    }
}

/// Everything a user can ask the system to do. Each handler names the one it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read people's records (search, view) inside the jurisdiction.
    PersonRead,
    /// Register a person.
    PersonCreate,
    /// Change a person's record.
    PersonUpdate,
    /// Read a person's change history.
    PersonHistoryRead,
    /// List likely duplicates and merge two records.
    PersonMerge,
    /// Read the administrative tree.
    UnitRead,
    /// Add villages or quarters under a commune.
    UnitCreate,
    /// Manage accounts and their role grants.
    UserManage,
    /// Confirm a case (F0) and move it through its states.
    CaseManage,
    /// Read cases.
    CaseRead,
    /// Log contacts (from a phone at night, too) and correct them.
    ContactLog,
    /// Read contacts and classifications.
    ContactRead,
    /// Read chains of exposure.
    ChainRead,
    /// Decide on the people whose level could drop after a correction.
    LevelReview,
    /// Read the quarantine regimes.
    RegimeRead,
    /// Add a regime, or a new version of one.
    RegimeManage,
    /// Open a quarantine site.
    SiteManage,
    /// Lay out a site: areas, rooms and beds.
    SiteLayout,
    /// Read sites, their rooms and occupancy.
    SiteRead,
    /// Read a camp's residents (the least personal data to check them in and out).
    SiteResidents,
    /// Order quarantine, record test outcomes, move an episode to another regime.
    QuarantineOrder,
    /// Move an episode (each command has its own roles: see `quarantine::may_command`).
    QuarantineCommand,
    /// Read episodes and the quarantine line lists.
    QuarantineRead,
    /// Homes: the address checklist, warning signs, daily reports, follow-ups, violations.
    HomeQuarantine,
    /// The police list: absconded people and violations, and marking them handled.
    PoliceList,
    /// Order samples (ad hoc and mass-sampling rounds), collect them, build pools, read
    /// antigen tests.
    SampleOrder,
    /// Read samples, the overdue list and laboratory figures.
    SampleRead,
    /// Receive samples and pools at a laboratory and record their results.
    LabWork,
    /// Register laboratories.
    LabManage,
    /// Read cordon zones.
    ZoneRead,
    /// Declare, activate and lift cordon zones.
    ZoneManage,
    /// List the residents of a cordon zone, for mass sampling and enforcement.
    ZoneResidentsRead,
    /// Record a commune's risk level (reading levels needs only `UnitRead`).
    RiskLevelSet,
    /// The reports: 5S delays, the weekly report and the line lists.
    ReportRead,
    /// Read the notices sent to the jurisdiction and those it sent (of residence).
    NoticeRead,
    /// Answer a notice sent to the jurisdiction: accept and link the person, or reject.
    NoticeResolve,
    /// Read who read whose records (the access log), and the unusual reading flagged.
    AccessLogRead,
    /// Produce everything held about one person, for a request from that person.
    SubjectAccess,
    /// Read the retention policies.
    RetentionRead,
    /// Add a version of the retention policy (a national grant only).
    RetentionManage,
    /// Purge the personal data due under the retention policy (a national grant only).
    DataPurge,
}

/// The permission table: which role may do which action. One place, read as a table.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        PersonRead => matches!(
            role,
            PoliceTracer | HealthOfficer | CommuneOfficer | CdcAnalyst
        ),
        PersonCreate | PersonUpdate => {
            matches!(role, PoliceTracer | HealthOfficer | CommuneOfficer)
        }
        PersonHistoryRead => matches!(
            role,
            PoliceTracer | HealthOfficer | CommuneOfficer | CdcAnalyst
        ),
        PersonMerge => matches!(role, HealthOfficer),
        UnitRead => true,
        UnitCreate => matches!(role, Admin | CommuneOfficer),
        UserManage => matches!(role, Admin),
        CaseManage => matches!(role, HealthOfficer),
        CaseRead => matches!(role, PoliceTracer | HealthOfficer | CdcAnalyst),
        ContactLog => matches!(role, PoliceTracer | HealthOfficer),
        ContactRead => matches!(role, PoliceTracer | HealthOfficer | CdcAnalyst),
        ChainRead => matches!(role, HealthOfficer | CdcAnalyst),
        LevelReview => matches!(role, HealthOfficer),
        RegimeRead => true,
        RegimeManage => matches!(role, Admin),
        SiteManage => matches!(role, Admin),
        SiteLayout => matches!(role, Admin | CampManager),
        SiteRead => matches!(role, Admin | CampManager | HealthOfficer | CdcAnalyst),
        SiteResidents => matches!(role, CampManager | HealthOfficer),
        QuarantineOrder => matches!(role, HealthOfficer),
        QuarantineCommand => matches!(role, HealthOfficer | CampManager | CommuneOfficer),
        QuarantineRead => matches!(
            role,
            HealthOfficer | PoliceTracer | CommuneOfficer | CdcAnalyst
        ),
        HomeQuarantine => matches!(role, CommuneOfficer | HealthOfficer),
        PoliceList => matches!(role, PoliceTracer),
        SampleOrder => matches!(role, HealthOfficer),
        SampleRead => matches!(
            role,
            HealthOfficer | LabTechnician | CdcAnalyst | CommuneOfficer
        ),
        LabWork => matches!(role, LabTechnician),
        LabManage => matches!(role, Admin),
        ZoneRead => matches!(
            role,
            PoliceTracer | HealthOfficer | CommuneOfficer | CdcAnalyst
        ),
        ZoneManage => matches!(role, HealthOfficer),
        ZoneResidentsRead => matches!(role, PoliceTracer | HealthOfficer | CommuneOfficer),
        RiskLevelSet => matches!(role, HealthOfficer),
        ReportRead => matches!(
            role,
            HealthOfficer | CdcAnalyst | CommuneOfficer | PoliceTracer
        ),
        NoticeRead => matches!(role, PoliceTracer | HealthOfficer | CommuneOfficer),
        NoticeResolve => matches!(role, PoliceTracer | HealthOfficer),
        AccessLogRead | SubjectAccess => matches!(role, DataProtectionOfficer),
        RetentionRead => matches!(role, Admin | CdcAnalyst),
        RetentionManage | DataPurge => matches!(role, Admin),
    }
}

/// Whether an administrator whose grants cover the subtrees `admin_roots` manages an account
/// whose grants lie at `grant_places` (each grant's unit, or its site's unit; `None` when it
/// lies nowhere known). Only if every grant lies inside the administrator's subtrees: an
/// account with no grant, or with one elsewhere, is a national administrator's, so that a
/// district administrator can never take over an account that reads another province.
pub fn manages_account(admin_roots: &[String], grant_places: &[Option<&str>]) -> bool {
    let covers = |p: &str| {
        admin_roots
            .iter()
            .any(|root| crate::domain::units::in_subtree(root, p))
    };
    if covers("/") {
        return true;
    }
    !grant_places.is_empty() && grant_places.iter().all(|p| p.is_some_and(covers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_managed_only_where_all_its_grants_lie() {
        let district = vec!["/22/203/".to_string()];
        let province = vec!["/22/".to_string()];
        let nation = vec!["/".to_string()];
        let inside = Some("/22/203/06994/");
        let elsewhere = Some("/24/");
        assert!(manages_account(&district, &[inside]));
        assert!(manages_account(&district, &[inside, Some("/22/203/")]));
        // a grant in another province, or one lying nowhere known: not the district's
        assert!(!manages_account(&district, &[inside, elsewhere]));
        assert!(!manages_account(&district, &[inside, None]));
        assert!(!manages_account(&district, &[Some("/22/201/")]));
        assert!(manages_account(&province, &[inside, Some("/22/201/")]));
        // an account with no grant is the nation's
        assert!(!manages_account(&district, &[]));
        assert!(!manages_account(&province, &[]));
        assert!(manages_account(&nation, &[]));
        assert!(manages_account(&nation, &[inside, elsewhere, None]));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn admin_sees_no_case_data() {
        assert!(!allows(Role::Admin, Action::PersonRead));
        assert!(!allows(Role::Admin, Action::PersonHistoryRead));
        assert!(allows(Role::Admin, Action::UserManage));
    }

    #[test]
    fn least_data_per_role() {
        // a camp manager needs a name and a bed, not the registry
        assert!(!allows(Role::CampManager, Action::PersonRead));
        assert!(!allows(Role::LabTechnician, Action::PersonRead));
        // analysts read, never write
        assert!(allows(Role::CdcAnalyst, Action::PersonRead));
        assert!(!allows(Role::CdcAnalyst, Action::PersonCreate));
        // only health merges records
        assert!(allows(Role::HealthOfficer, Action::PersonMerge));
        assert!(!allows(Role::PoliceTracer, Action::PersonMerge));
        assert!(!allows(Role::HealthOfficer, Action::UserManage));
    }

    #[test]
    fn quarantine_duties() {
        // the camp manager works their camp, not the registry or the orders
        assert!(allows(Role::CampManager, Action::SiteResidents));
        assert!(!allows(Role::CampManager, Action::QuarantineOrder));
        assert!(!allows(Role::CampManager, Action::QuarantineRead));
        // health orders; commune officers run homes; police get the list
        assert!(allows(Role::HealthOfficer, Action::QuarantineOrder));
        assert!(!allows(Role::CommuneOfficer, Action::QuarantineOrder));
        assert!(allows(Role::CommuneOfficer, Action::HomeQuarantine));
        assert!(!allows(Role::PoliceTracer, Action::HomeQuarantine));
        assert!(allows(Role::PoliceTracer, Action::PoliceList));
        assert!(!allows(Role::CommuneOfficer, Action::PoliceList));
        // admins run sites and regimes but see no residents
        assert!(allows(Role::Admin, Action::RegimeManage));
        assert!(allows(Role::Admin, Action::SiteManage));
        assert!(!allows(Role::Admin, Action::SiteResidents));
        assert!(!allows(Role::HealthOfficer, Action::RegimeManage));
    }

    #[test]
    fn cordon_zones_and_risk_levels() {
        use Role::*;
        let who = |action: Action| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|r| allows(*r, action))
                .collect()
        };
        // health declares, activates and lifts; the others enforce and analyse
        assert_eq!(who(Action::ZoneManage), [HealthOfficer]);
        assert_eq!(
            who(Action::ZoneRead),
            [PoliceTracer, HealthOfficer, CommuneOfficer, CdcAnalyst]
        );
        // the residents' names go to those who sample and enforce, not to analysts
        assert_eq!(
            who(Action::ZoneResidentsRead),
            [PoliceTracer, HealthOfficer, CommuneOfficer]
        );
        assert_eq!(who(Action::RiskLevelSet), [HealthOfficer]);
        // admins and camp managers see no zones
        assert!(!allows(Admin, Action::ZoneRead));
        assert!(!allows(CampManager, Action::ZoneRead));
    }

    #[test]
    fn labs_result_and_health_collects() {
        assert!(allows(Role::LabTechnician, Action::LabWork));
        assert!(!allows(Role::HealthOfficer, Action::LabWork));
        assert!(allows(Role::HealthOfficer, Action::SampleOrder));
        assert!(!allows(Role::LabTechnician, Action::SampleOrder));
        assert!(!allows(Role::PoliceTracer, Action::SampleRead));
        assert!(allows(Role::Admin, Action::LabManage));
    }

    #[test]
    fn the_data_protection_officer_reads_the_log_not_the_registry() {
        use Role::*;
        let who = |action: Action| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|r| allows(*r, action))
                .collect()
        };
        assert_eq!(who(Action::AccessLogRead), [DataProtectionOfficer]);
        assert_eq!(who(Action::SubjectAccess), [DataProtectionOfficer]);
        for a in [
            Action::PersonRead,
            Action::ContactRead,
            Action::ChainRead,
            Action::ReportRead,
            Action::PersonUpdate,
        ] {
            assert!(!allows(DataProtectionOfficer, a), "{a:?}");
        }
    }

    #[test]
    fn only_camp_managers_are_bound_to_sites() {
        for r in Role::ALL {
            let expected = if r == Role::CampManager {
                ScopeKind::Site
            } else {
                ScopeKind::Unit
            };
            assert_eq!(r.scope_kind(), expected);
        }
    }
}
