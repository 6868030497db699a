//! Reading and searching people inside the jurisdiction.

use super::*;

/// A person the actor may read, or 404 (a record outside the jurisdiction does not exist).
pub(super) fn visible(conn: &mut AnyConnection, scope: &Scope, id: &str) -> AppResult<Person> {
    match store::get(conn, id)? {
        Some(p) if scope.covers(&p.row.unit_path) => Ok(p),
        _ => Err(AppError::not_found("person")),
    }
}

/// What reading one person answers.
#[derive(Debug)]
pub enum PersonRead {
    /// The record itself (one merged across a border included).
    Found(Box<PersonOut>),
    /// The record was merged into this one (the record that stands at the end of the merges),
    /// which the reader may read too: read it instead.
    MergedInto(String),
}

/// A person the actor may read. A record merged into another answers with the one that
/// stands, when the actor may read that one; otherwise (merged across a border, by a notice
/// accepted) with itself, `merged_into` saying where it went.
pub fn get(conn: &mut AnyConnection, actor: &Actor, id: &str) -> AppResult<PersonRead> {
    let scope = actor.scope(Action::PersonRead)?;
    let p = visible(conn, &scope, id)?;
    if let Some(into) = &p.row.merged_into {
        if let Some(standing) = standing(conn, into)? {
            if scope.covers(&standing.unit_path) {
                return Ok(PersonRead::MergedInto(standing.id));
            }
        }
    }
    Ok(PersonRead::Found(Box::new(PersonOut::from(&p))))
}

/// The record that stands at the end of the merges from `id` (a bounded walk).
fn standing(conn: &mut AnyConnection, id: &str) -> AppResult<Option<PersonRow>> {
    let mut row = store::get_row(conn, id)?;
    for _ in 0..16 {
        match row.as_ref().and_then(|r| r.merged_into.clone()) {
            Some(next) => row = store::get_row(conn, &next)?,
            None => return Ok(row),
        }
    }
    Ok(None)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of the name; diacritics and case are ignored (`nguyen van an`). At most 66
    /// characters: the name is compared decomposed, which can triple a character, and
    /// at most 200 characters are compared.
    #[param(max_length = 66)]
    pub q: Option<String>,
    /// A phone in any usual form (`0912…`, `+84912…`, `84 912…`).
    #[param(value_type = Option<Phone>, inline)]
    pub phone: Option<String>,
    /// CCCD or CMND.
    #[param(pattern = "^([0-9]{9}|[0-9]{12})$")]
    pub national_id: Option<String>,
    /// Only people living in this unit's subtree.
    pub unit: Option<String>,
    /// Include records merged into others (default false).
    pub include_merged: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub fn search(
    conn: &mut AnyConnection,
    actor: &Actor,
    q: SearchQuery,
) -> AppResult<Page<PersonOut>> {
    let scope = actor.scope(Action::PersonRead)?;
    let paging = Paging::new(q.cursor.as_deref(), q.limit)?;
    let phone = match q.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(p) => Some(rules::normalize_phone(p).map_err(|e| AppError::field("phone", e))?),
    };
    let national_id = match q
        .national_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(n) => Some(
            rules::parse_national_id(n)
                .map_err(|e| AppError::field("national_id", e))?
                .0,
        ),
    };
    let within = match q.unit.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => {
            let unit = units::get(conn, code)?
                .ok_or_else(|| AppError::field("unit", format!("no unit has code '{code}'")))?;
            Some(subtree_range(&unit.path))
        }
    };
    let name = q.q.as_deref().map(fold).filter(|s| !s.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(AppError::field("q", "must be at most 200 characters"));
    }
    let people = store::search(
        conn,
        &scope.ranges(),
        &store::Search {
            name_folded: name,
            phone,
            national_id,
            within,
            include_merged: q.include_merged.unwrap_or(false),
            after_id: paging.after().map(str::to_string),
            limit: paging.fetch(),
        },
    )?;
    let out: Vec<PersonOut> = people.iter().map(PersonOut::from).collect();
    Ok(paging.page(out, |p| p.id.clone()))
}
