//! The `Actor`: the authenticated user, their grants, and for each action the jurisdiction
//! it may be done in. No grant that allows an action means no scope: fail closed.

use crate::domain::roles::{allows, Action, Role};
use crate::domain::units::{in_subtree, subtree_range};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct ActorGrant {
    pub id: String,
    pub role: Role,
    pub unit_code: Option<String>,
    /// The materialised path of `unit_code`.
    pub unit_path: Option<String>,
    pub site_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub grants: Vec<ActorGrant>,
}

/// Where an action may be done: the union of subtrees of the grants that allow it.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Subtree roots, none inside another.
    pub paths: Vec<String>,
    /// For each root, the role whose grant gave it (for the event log).
    roles: Vec<Role>,
}

impl Scope {
    fn new(mut pairs: Vec<(String, Role)>) -> Scope {
        pairs.sort();
        let mut kept: Vec<(String, Role)> = Vec::new();
        for (p, r) in pairs {
            if !kept.iter().any(|(k, _)| in_subtree(k, &p)) {
                kept.push((p, r));
            }
        }
        Scope {
            paths: kept.iter().map(|(p, _)| p.clone()).collect(),
            roles: kept.iter().map(|(_, r)| *r).collect(),
        }
    }

    /// The whole country (for checks that are not about the actor's jurisdiction).
    pub fn everywhere() -> Scope {
        Scope {
            paths: vec!["/".into()],
            roles: vec![Role::Admin],
        }
    }

    pub fn covers(&self, path: &str) -> bool {
        self.paths.iter().any(|root| in_subtree(root, path))
    }

    /// The role under which the actor acts on a record at `path`.
    pub fn role_at(&self, path: &str) -> Option<Role> {
        self.paths
            .iter()
            .position(|root| in_subtree(root, path))
            .map(|i| self.roles[i])
    }

    /// The role to name in the event log for a record at `path`: the grant covering it, else
    /// the first grant allowing the action (a record the actor sends out of their area).
    pub fn acting_role(&self, path: &str) -> Option<Role> {
        self.role_at(path).or_else(|| self.roles.first().copied())
    }

    /// The byte ranges `[low, high)` of the subtrees, for SQL filters.
    pub fn ranges(&self) -> Vec<(String, String)> {
        self.paths.iter().map(|p| subtree_range(p)).collect()
    }
}

impl Actor {
    /// Whether any grant allows `action`, wherever it is bound (a unit or a site): for what
    /// every role reads alike, such as the administrative tree and the regimes.
    pub fn may(&self, action: Action) -> AppResult<()> {
        if self.grants.iter().any(|g| allows(g.role, action)) {
            return Ok(());
        }
        Err(AppError::Forbidden(
            "none of your role grants allows this action".into(),
        ))
    }

    /// The scope in which the actor may do `action`, or 403 when no grant allows it.
    pub fn scope(&self, action: Action) -> AppResult<Scope> {
        let pairs: Vec<(String, Role)> = self
            .grants
            .iter()
            .filter(|g| allows(g.role, action))
            .filter_map(|g| g.unit_path.clone().map(|p| (p, g.role)))
            .collect();
        if pairs.is_empty() {
            return Err(AppError::Forbidden(
                "none of your role grants allows this action".into(),
            ));
        }
        Ok(Scope::new(pairs))
    }
}

/// Where a site-related action may be done: sites in the unit subtrees of the grants that
/// allow it, and the sites that site-bound grants (camp managers) name.
#[derive(Debug, Clone)]
pub struct SiteScope {
    pub units: Option<Scope>,
    pub sites: Vec<String>,
}

impl SiteScope {
    /// Whether a site (its id and the path of its unit) is in scope.
    pub fn covers(&self, site_id: &str, unit_path: &str) -> bool {
        self.sites.iter().any(|s| s == site_id)
            || self.units.as_ref().is_some_and(|u| u.covers(unit_path))
    }

    /// The role under which the actor acts on a site.
    pub fn role_at(&self, site_id: &str, unit_path: &str) -> Option<Role> {
        if self.sites.iter().any(|s| s == site_id) {
            return Some(Role::CampManager);
        }
        self.units.as_ref().and_then(|u| u.role_at(unit_path))
    }
}

impl Actor {
    /// The sites on which the actor may do `action`, or 403 when no grant allows it.
    pub fn site_scope(&self, action: Action) -> AppResult<SiteScope> {
        let sites: Vec<String> = self
            .grants
            .iter()
            .filter(|g| allows(g.role, action))
            .filter_map(|g| g.site_id.clone())
            .collect();
        let units = self.scope(action).ok();
        if units.is_none() && sites.is_empty() {
            return Err(AppError::Forbidden(
                "none of your role grants allows this action".into(),
            ));
        }
        Ok(SiteScope { units, sites })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, path: &str) -> ActorGrant {
        ActorGrant {
            id: path.into(),
            role,
            unit_code: Some(path.into()),
            unit_path: Some(path.into()),
            site_id: None,
        }
    }

    #[test]
    fn no_grant_no_scope() {
        let a = Actor {
            user_id: "u".into(),
            username: "u".into(),
            grants: vec![],
        };
        assert!(a.scope(Action::PersonRead).is_err());
    }

    #[test]
    fn scope_is_the_union_of_allowing_grants() {
        let a = Actor {
            user_id: "u".into(),
            username: "u".into(),
            grants: vec![
                grant(Role::HealthOfficer, "/22/203/"),
                grant(Role::PoliceTracer, "/22/"),
                grant(Role::Admin, "/"),
            ],
        };
        let s = a.scope(Action::PersonRead).unwrap();
        assert_eq!(s.paths, ["/22/"]); // the district is inside the province
        assert!(s.covers("/22/203/06994/"));
        assert!(!s.covers("/24/"));
        assert_eq!(s.role_at("/22/201/"), Some(Role::PoliceTracer));
        // the admin grant covers the whole country, but admins see no case data
        let merge = a.scope(Action::PersonMerge).unwrap();
        assert_eq!(merge.paths, ["/22/203/"]);
        assert!(!merge.covers("/22/201/"));
    }
}
