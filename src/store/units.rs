//! The administrative tree: official GSO lists loaded once, villages added by users.

use crate::db::AnyConnection;
use crate::domain::text::fold;
use crate::domain::units::{child_path, pad_code, Level, Structure, COUNTRY_CODE};
use crate::schema::{admin_units, settings};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::BTreeMap;

pub const THREE_LEVEL_CSV: &str = include_str!("../../data/vn-admin-units-3level.csv");
pub const TWO_LEVEL_CSV: &str = include_str!("../../data/vn-admin-units-2level.csv");

/// A unit of the administrative tree, as stored and as inserted.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = admin_units, treat_none_as_default_value = false)]
pub struct UnitRow {
    pub code: String,
    pub parent_code: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub level: Level,
    pub name: String,
    pub name_folded: String,
    pub unit_type: String,
    pub path: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
}

/// A unit being added: the same row.
pub type NewUnit = UnitRow;

fn insert_units(conn: &mut AnyConnection, rows: &[NewUnit]) -> QueryResult<usize> {
    crate::db::insert_chunks!(conn, admin_units::table, rows)
}

pub fn get(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<UnitRow>> {
    admin_units::table
        .find(code)
        .select(UnitRow::as_select())
        .get_result(conn)
        .optional()
}

/// Those of `codes` that exist (at most a few thousand codes).
pub fn get_many(conn: &mut AnyConnection, codes: &[String]) -> QueryResult<Vec<UnitRow>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(5000) {
        out.extend(
            admin_units::table
                .filter(admin_units::code.eq_any(chunk))
                .select(UnitRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn children(conn: &mut AnyConnection, code: &str) -> QueryResult<Vec<UnitRow>> {
    admin_units::table
        .filter(admin_units::parent_code.eq(code))
        .select(UnitRow::as_select())
        .order(admin_units::path.asc())
        .load(conn)
}

/// The unit and its ancestors, root first.
pub fn ancestry(conn: &mut AnyConnection, path: &str) -> QueryResult<Vec<UnitRow>> {
    let mut prefixes = vec!["/".to_string()];
    let mut acc = String::from("/");
    for part in path.trim_matches('/').split('/').filter(|p| !p.is_empty()) {
        acc = child_path(&acc, part);
        prefixes.push(acc.clone());
    }
    admin_units::table
        .filter(admin_units::path.eq_any(prefixes))
        .select(UnitRow::as_select())
        .order(admin_units::path.asc())
        .load(conn)
}

/// Units whose folded name contains `q`, optionally under a subtree, by path.
pub fn search(
    conn: &mut AnyConnection,
    q: &str,
    level: Option<Level>,
    within: Option<(String, String)>,
    after_path: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UnitRow>> {
    let mut query = admin_units::table
        .select(UnitRow::as_select())
        .order(admin_units::path.asc())
        .limit(limit)
        .into_boxed();
    let folded = fold(q);
    if !folded.is_empty() {
        query = query.filter(
            admin_units::name_folded
                .like(format!("%{}%", escape_like(&folded)))
                .escape('\\'),
        );
    }
    if let Some(l) = level {
        query = query.filter(admin_units::level.eq(l.as_str()));
    }
    if let Some((lo, hi)) = within {
        query = query
            .filter(admin_units::path.ge(lo))
            .filter(admin_units::path.lt(hi));
    }
    if let Some(after) = after_path {
        query = query.filter(admin_units::path.gt(after.to_string()));
    }
    query.load(conn)
}

pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    admin_units::table.count().get_result(conn)
}

pub fn count_children(conn: &mut AnyConnection, code: &str) -> QueryResult<i64> {
    admin_units::table
        .filter(admin_units::parent_code.eq(code))
        .count()
        .get_result(conn)
}

pub fn insert_one(conn: &mut AnyConnection, unit: &NewUnit) -> QueryResult<()> {
    diesel::insert_into(admin_units::table)
        .values(unit.clone())
        .execute(conn)?;
    Ok(())
}

pub fn setting(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .get_result(conn)
        .optional()
}

/// The setting under `key`, made by `make` if there is none yet. Two instances starting at
/// once agree: the second insert loses and reads the first one's value.
pub fn setting_or_init(
    conn: &mut AnyConnection,
    key: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(v) = setting(conn, key)? {
        return Ok(v);
    }
    let value = make();
    match diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(&value)))
        .execute(conn)
    {
        Ok(_) => Ok(value),
        Err(e) if crate::db::is_unique_violation(&e) => {
            setting(conn, key)?.ok_or(diesel::result::Error::NotFound)
        }
        Err(e) => Err(e),
    }
}

pub fn set_setting(conn: &mut AnyConnection, key: &str, value: &str) -> QueryResult<()> {
    let updated = diesel::update(settings::table.find(key))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .execute(conn)?;
    }
    Ok(())
}

/// Where the code, name and type of each level are in an official list.
struct Columns {
    province: (usize, usize, usize),
    /// None in the two-level list.
    district: Option<(usize, usize, usize)>,
    commune: (usize, usize, usize),
}

impl Columns {
    fn of(headers: &csv::StringRecord, structure: Structure) -> anyhow::Result<Columns> {
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| anyhow::anyhow!("column {name} missing from the units list"))
        };
        let level = |l: &str| -> anyhow::Result<(usize, usize, usize)> {
            Ok((
                col(&format!("{l}_code"))?,
                col(&format!("{l}_name"))?,
                col(&format!("{l}_type"))?,
            ))
        };
        Ok(Columns {
            province: level("province")?,
            district: match structure {
                Structure::ThreeLevel => Some(level("district")?),
                Structure::TwoLevel => None,
            },
            commune: level("commune")?,
        })
    }
}

/// A unit of an official list, as loaded.
fn official_unit(
    code: &str,
    parent: Option<&str>,
    level: Level,
    name: &str,
    kind: &str,
    path: String,
    now: NaiveDateTime,
) -> NewUnit {
    NewUnit {
        code: code.to_string(),
        parent_code: parent.map(str::to_string),
        level,
        name: name.trim().to_string(),
        name_folded: fold(name),
        unit_type: kind.trim().to_string(),
        path,
        created_at: now,
        created_by: None,
    }
}

/// Parse an official list into units, parents before children. The country is the root.
pub fn parse_official(structure: Structure, now: NaiveDateTime) -> anyhow::Result<Vec<NewUnit>> {
    let csv_text = match structure {
        Structure::ThreeLevel => THREE_LEVEL_CSV,
        Structure::TwoLevel => TWO_LEVEL_CSV,
    };
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let Columns {
        province: (p_code, p_name, p_type),
        district,
        commune: (c_code, c_name, c_type),
    } = Columns::of(reader.headers()?, structure)?;
    let unit = |code: &str, parent: Option<&str>, level, name: &str, kind: &str, path| {
        official_unit(code, parent, level, name, kind, path, now)
    };
    let mut provinces: BTreeMap<String, NewUnit> = BTreeMap::new();
    let mut districts: BTreeMap<String, NewUnit> = BTreeMap::new();
    let mut communes: Vec<NewUnit> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let r = record?;
        let bad = |what: &str| anyhow::anyhow!("units list line {}: bad {what}", i + 2);
        let pc = pad_code(Level::Province, &r[p_code]).ok_or_else(|| bad("province code"))?;
        let p_path = child_path("/", &pc);
        provinces.entry(pc.clone()).or_insert_with(|| {
            unit(
                &pc,
                Some(COUNTRY_CODE),
                Level::Province,
                &r[p_name],
                &r[p_type],
                p_path.clone(),
            )
        });
        let (parent_code, parent_path) = match district {
            Some((d_code, d_name, d_type)) => {
                let dc =
                    pad_code(Level::District, &r[d_code]).ok_or_else(|| bad("district code"))?;
                let d_path = child_path(&p_path, &dc);
                districts.entry(dc.clone()).or_insert_with(|| {
                    unit(
                        &dc,
                        Some(&pc),
                        Level::District,
                        &r[d_name],
                        &r[d_type],
                        d_path.clone(),
                    )
                });
                (dc, d_path)
            }
            None => (pc.clone(), p_path.clone()),
        };
        let cc = pad_code(Level::Commune, &r[c_code]).ok_or_else(|| bad("commune code"))?;
        let path = child_path(&parent_path, &cc);
        communes.push(unit(
            &cc,
            Some(&parent_code),
            Level::Commune,
            &r[c_name],
            &r[c_type],
            path,
        ));
    }
    let mut all = vec![unit(
        COUNTRY_CODE,
        None,
        Level::Country,
        "Việt Nam",
        "quốc gia",
        "/".into(),
    )];
    all.extend(provinces.into_values());
    all.extend(districts.into_values());
    all.extend(communes);
    Ok(all)
}

/// Load the official list if the tree is empty. Returns how many units were added (0 when
/// the tree was already loaded). Loading a different structure onto a loaded tree is refused.
pub fn import_official(
    conn: &mut AnyConnection,
    structure: Structure,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    if let Some(loaded) = setting(conn, "units_structure")? {
        if loaded != structure.as_str() {
            anyhow::bail!(
                "the administrative tree was loaded from the {loaded} list; it cannot be replaced by the {} list",
                structure.as_str()
            );
        }
        return Ok(0);
    }
    let rows = parse_official(structure, now)?;
    let n = insert_units(conn, &rows)?;
    set_setting(conn, "units_structure", structure.as_str())?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_lists_parse_to_the_documented_counts() {
        let now = chrono::Utc::now().naive_utc();
        let three = parse_official(Structure::ThreeLevel, now).unwrap();
        let count =
            |rows: &[NewUnit], level: Level| rows.iter().filter(|u| u.level == level).count();
        assert_eq!(count(&three, Level::Province), 63);
        // the shipped January 2025 list has 691 districts (the data README says 696: later mergers)
        assert_eq!(count(&three, Level::District), 691);
        assert_eq!(count(&three, Level::Commune), 10051);
        let cai_rong = three.iter().find(|u| u.code == "06994").unwrap();
        assert_eq!(cai_rong.path, "/22/203/06994/");
        assert_eq!(cai_rong.parent_code.as_deref(), Some("203"));
        let two = parse_official(Structure::TwoLevel, now).unwrap();
        assert_eq!(count(&two, Level::Province), 34);
        assert_eq!(count(&two, Level::Commune), 3321);
        assert_eq!(count(&two, Level::District), 0);
        let mut codes: Vec<_> = three.iter().map(|u| &u.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), three.len(), "codes are unique across levels");
    }
}
