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
    let mut hops: HashMap<String, i32> = HashMap::from([(root.row.id.clone(), 0)]);
    let mut exposures: HashMap<String, ExposureRow> =
        store::exposures_of(conn, std::slice::from_ref(&root.row.id))?
            .into_iter()
            .map(|e| (e.person_id.clone(), e))
            .collect();
    let mut edges: BTreeMap<String, ChainEdge> = BTreeMap::new();
    let mut truncated = false;
    for (sign, wanted) in [(-1, Direction::Upstream), (1, Direction::Downstream)] {
        if direction != wanted && direction != Direction::Both {
            continue;
        }
        let mut frontier = vec![root.row.id.clone()];
        for hop in 1..=depth as i32 {
            if frontier.is_empty() {
                break;
            }
            let contacts = store::contacts_touching(conn, &frontier)?;
            let others: Vec<String> = contacts
                .iter()
                .flat_map(|c| [c.person_a.clone(), c.person_b.clone()])
                .filter(|p| !exposures.contains_key(p))
                .collect();
            for e in store::exposures_of(conn, &others)? {
                exposures.insert(e.person_id.clone(), e);
            }
            let in_frontier: HashSet<&String> = frontier.iter().collect();
            let mut next = Vec::new();
            for c in contacts.iter().filter(|c| contact_is_close(c)) {
                for (n, m) in [(&c.person_a, &c.person_b), (&c.person_b, &c.person_a)] {
                    if !in_frontier.contains(n) {
                        continue;
                    }
                    let (Some(en), Some(em)) = (exposures.get(n), exposures.get(m)) else {
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
                    edges.entry(c.id.clone()).or_insert_with(|| ChainEdge {
                        contact_id: c.id.clone(),
                        from: up.person_id.clone(),
                        to: down.person_id.clone(),
                        first_at: utc(c.first_at),
                        last_at: utc(c.last_at),
                        setting: c.setting,
                    });
                    if !hops.contains_key(m) {
                        if hops.len() >= CHAIN_NODE_CAP {
                            truncated = true;
                            continue;
                        }
                        hops.insert(m.clone(), sign * hop);
                        next.push(m.clone());
                    }
                }
            }
            frontier = next;
        }
    }
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
            let visible = read.as_ref().is_some_and(|s| s.covers(&p.row.unit_path));
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
    let edges: Vec<ChainEdge> = edges
        .into_values()
        .filter(|e| hops.contains_key(&e.from) && hops.contains_key(&e.to))
        .collect();
    Ok(Chain {
        root: root.row.id,
        nodes,
        edges,
        truncated,
    })
}
