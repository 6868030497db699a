//! Chains of exposure: upstream to the sources, downstream to everyone exposed.

use super::*;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Upstream,
    Downstream,
    Both,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChainQuery {
    /// upstream (towards the sources), downstream (everyone exposed through the person) or both.
    pub direction: Option<Direction>,
    /// Hops, 1 to 6 (default 3).
    #[param(minimum = 1, maximum = 6)]
    pub depth: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainNode {
    pub id: String,
    /// F0 … F3, when classified.
    pub level: Option<String>,
    pub status: Option<String>,
    pub unit_code: String,
    /// Only for people inside your jurisdiction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Hops from the person asked about (negative upstream).
    pub hop: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainEdge {
    pub contact_id: String,
    /// Upstream end.
    pub from: String,
    /// Downstream end.
    pub to: String,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub setting: Setting,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Chain {
    pub root: String,
    pub nodes: Vec<ChainNode>,
    pub edges: Vec<ChainEdge>,
    /// True when the node cap cut the chain short.
    pub truncated: bool,
}

const CHAIN_NODE_CAP: usize = 5000;

/// A person's chain of exposure as nodes and edges a graph viewer can draw: upstream along
/// contacts to people of a lower level inside their window, downstream to people of a
/// higher level inside this one's. People outside the jurisdiction appear with their level
/// and unit only.
pub fn chain(
    conn: &mut AnyConnection,
    actor: &Actor,
    person: &str,
    q: ChainQuery,
) -> AppResult<Chain> {
    let scope = actor.scope(Action::ChainRead)?;
    let read = actor.scope(Action::PersonRead).ok();
    let root = match people_store::get(conn, person)? {
        Some(p) if scope.covers(&p.row.unit_path) => p,
        _ => return Err(AppError::not_found("person")),
    };
    let depth = q.depth.unwrap_or(3);
    if !(1..=6).contains(&depth) {
        return Err(AppError::field("depth", "must be between 1 and 6"));
    }
    let direction = q.direction.unwrap_or(Direction::Both);
    let mut walk = Walk {
        hops: HashMap::from([(root.row.id.clone(), 0)]),
        exposures: store::exposures_of(conn, std::slice::from_ref(&root.row.id))?
            .into_iter()
            .map(|e| (e.person_id.clone(), e))
            .collect(),
        edges: BTreeMap::new(),
        truncated: false,
    };
    for (sign, wanted) in [(-1, Direction::Upstream), (1, Direction::Downstream)] {
        if direction != wanted && direction != Direction::Both {
            continue;
        }
        walk.walk(conn, &root.row.id, sign, depth)?;
    }
    let nodes = chain_nodes(conn, read.as_ref(), &walk.hops, &walk.exposures)?;
    let hops = &walk.hops;
    let edges: Vec<ChainEdge> = walk
        .edges
        .into_values()
        .filter(|e| hops.contains_key(&e.from) && hops.contains_key(&e.to))
        .collect();
    Ok(Chain {
        root: root.row.id,
        nodes,
        edges,
        truncated: walk.truncated,
    })
}

/// What walking a chain has found so far: the hop of each person reached, the exposures
/// loaded, the edges followed (by contact), and whether the node cap was hit.
struct Walk {
    hops: HashMap<String, i32>,
    exposures: HashMap<String, ExposureRow>,
    edges: BTreeMap<String, ChainEdge>,
    truncated: bool,
}

impl Walk {
    /// Walk up to `depth` hops from `root` in one direction: `sign` -1 upstream, 1 downstream.
    fn walk(
        &mut self,
        conn: &mut AnyConnection,
        root: &str,
        sign: i32,
        depth: u8,
    ) -> AppResult<()> {
        let mut frontier = vec![root.to_string()];
        for hop in 1..=depth as i32 {
            if frontier.is_empty() {
                break;
            }
            frontier = self.hop(conn, &frontier, sign, hop)?;
        }
        Ok(())
    }

    /// One hop out of `frontier`: load its contacts and the exposures of the people on their
    /// other side, follow every close contact that runs in the walk's direction, and return
    /// the people reached for the first time.
    fn hop(
        &mut self,
        conn: &mut AnyConnection,
        frontier: &[String],
        sign: i32,
        hop: i32,
    ) -> AppResult<Vec<String>> {
        let contacts = store::contacts_touching(conn, frontier)?;
        let others: Vec<String> = contacts
            .iter()
            .flat_map(|c| [c.person_a.clone(), c.person_b.clone()])
            .filter(|p| !self.exposures.contains_key(p))
            .collect();
        for e in store::exposures_of(conn, &others)? {
            self.exposures.insert(e.person_id.clone(), e);
        }
        let in_frontier: HashSet<&String> = frontier.iter().collect();
        let mut next = Vec::new();
        for c in contacts.iter().filter(|c| contact_is_close(c)) {
            for (n, m) in [(&c.person_a, &c.person_b), (&c.person_b, &c.person_a)] {
                if !in_frontier.contains(n) {
                    continue;
                }
                let (Some(en), Some(em)) = (self.exposures.get(n), self.exposures.get(m)) else {
                    continue;
                };
                // upstream: m is lower and n met them inside m's window; downstream: the reverse
                let (up, down) = if sign < 0 { (em, en) } else { (en, em) };
                let w = Window {
                    start: up.window_start,
                    end: up.window_end,
                };
                if up.level >= down.level || !w.overlaps(c.first_at, c.last_at) {
                    continue;
                }
                self.edges.entry(c.id.clone()).or_insert_with(|| ChainEdge {
                    contact_id: c.id.clone(),
                    from: up.person_id.clone(),
                    to: down.person_id.clone(),
                    first_at: utc(c.first_at),
                    last_at: utc(c.last_at),
                    setting: c.setting,
                });
                if !self.hops.contains_key(m) {
                    if self.hops.len() >= CHAIN_NODE_CAP {
                        self.truncated = true;
                        continue;
                    }
                    self.hops.insert(m.clone(), sign * hop);
                    next.push(m.clone());
                }
            }
        }
        Ok(next)
    }
}

/// The nodes of a chain, by hop then id: level and unit for everyone, the name only for
/// people inside `read` (the actor's jurisdiction for reading people).
fn chain_nodes(
    conn: &mut AnyConnection,
    read: Option<&Scope>,
    hops: &HashMap<String, i32>,
    exposures: &HashMap<String, ExposureRow>,
) -> AppResult<Vec<ChainNode>> {
    let ids: Vec<String> = hops.keys().cloned().collect();
    let people: HashMap<String, people_store::Person> = ids
        .chunks(500)
        .map(|chunk| people_store::get_many(conn, chunk))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .map(|p| (p.row.id.clone(), p))
        .collect();
    let mut nodes: Vec<ChainNode> = ids
        .iter()
        .filter_map(|id| {
            let p = people.get(id)?;
            let e = exposures.get(id);
            let visible = read.is_some_and(|s| s.covers(&p.row.unit_path));
            Some(ChainNode {
                id: id.clone(),
                level: e.map(|e| label(e.level as u8)),
                status: e.map(|e| e.status.to_string()),
                unit_code: p.row.residence_unit_code.clone(),
                full_name: visible.then(|| p.row.full_name.clone()),
                hop: hops[id],
            })
        })
        .collect();
    nodes.sort_by(|a, b| (a.hop, &a.id).cmp(&(b.hop, &b.id)));
    Ok(nodes)
}
