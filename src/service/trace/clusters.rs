//! Clusters: classified people connected by close contacts, largest first.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct Cluster {
    /// The lowest person id in the cluster, a stable handle for it.
    pub id: String,
    pub size: usize,
    pub f0: usize,
    pub by_level: BTreeMap<String, usize>,
    /// The first and last contact inside the cluster.
    pub first_contact: Option<DateTime<Utc>>,
    pub last_contact: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Clusters {
    pub clusters: Vec<Cluster>,
    /// Classified people considered (the jurisdiction's active classifications).
    pub people: usize,
    /// True when the jurisdiction holds more classified people than one answer considers.
    pub truncated: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterQuery {
    /// Smallest cluster to list (default 2). No cluster holds more people than one answer
    /// considers (100,000).
    #[param(minimum = 0, maximum = 100000)]
    pub min_size: Option<usize>,
    /// How many clusters, largest first (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

const CLUSTER_CAP: i64 = 100_000;

/// Clusters: groups of classified people connected by close contacts, largest first.
pub fn clusters(conn: &mut AnyConnection, actor: &Actor, q: ClusterQuery) -> AppResult<Clusters> {
    let scope = actor.scope(Action::ChainRead)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::field("limit", "must be between 1 and 200"));
    }
    let min_size = q.min_size.unwrap_or(2).max(1);
    let people = store::active_exposures_in(conn, &scope.ranges(), CLUSTER_CAP + 1)?;
    let truncated = people.len() as i64 > CLUSTER_CAP;
    let people = &people[..people.len().min(CLUSTER_CAP as usize)];
    let index: HashMap<&str, usize> = people
        .iter()
        .enumerate()
        .map(|(i, e)| (e.person_id.as_str(), i))
        .collect();
    // union-find over the contacts between classified people
    let mut parent: Vec<usize> = (0..people.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let ids: Vec<String> = people.iter().map(|e| e.person_id.clone()).collect();
    let mut span: HashMap<usize, (NaiveDateTime, NaiveDateTime)> = HashMap::new();
    let mut edges = Vec::new();
    for c in store::contacts_touching(conn, &ids)? {
        if let (Some(&a), Some(&b)) = (
            index.get(c.person_a.as_str()),
            index.get(c.person_b.as_str()),
        ) {
            if contact_is_close(&c) {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
                edges.push((a, c.first_at, c.last_at));
            }
        }
    }
    for (a, first, last) in edges {
        let r = find(&mut parent, a);
        let e = span.entry(r).or_insert((first, last));
        e.0 = e.0.min(first);
        e.1 = e.1.max(last);
    }
    let mut groups: HashMap<usize, Cluster> = HashMap::new();
    for (i, e) in people.iter().enumerate() {
        let r = find(&mut parent, i);
        let c = groups.entry(r).or_insert_with(|| Cluster {
            id: people[r].person_id.clone(),
            size: 0,
            f0: 0,
            by_level: BTreeMap::new(),
            first_contact: span.get(&r).map(|s| utc(s.0)),
            last_contact: span.get(&r).map(|s| utc(s.1)),
        });
        c.size += 1;
        if e.level == 0 {
            c.f0 += 1;
        }
        *c.by_level.entry(label(e.level as u8)).or_default() += 1;
    }
    let mut clusters: Vec<Cluster> = groups
        .into_values()
        .filter(|c| c.size >= min_size)
        .collect();
    clusters.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.id.cmp(&b.id)));
    clusters.truncate(limit);
    Ok(Clusters {
        clusters,
        people: people.len(),
        truncated,
    })
}
