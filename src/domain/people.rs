//! People (docs/domain.md §2): identity documents, phones, names, and the rules that keep the
//! registry free of duplicates.

use super::cases::CaseState;
use super::quarantine::EpisodeState;
use super::states::Refused;
use super::text::{fold, tidy};
use super::FieldError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Other,
}

super::states::text_conversions!(Sex);

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Sex> {
        [Sex::Male, Sex::Female, Sex::Other]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Where a fact came from (provenance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    TracingInterview,
    SelfDeclaration,
    LabSystem,
    BulkImport,
}

super::states::text_conversions!(Source);

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::TracingInterview => "tracing_interview",
            Source::SelfDeclaration => "self_declaration",
            Source::LabSystem => "lab_system",
            Source::BulkImport => "bulk_import",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        [
            Source::TracingInterview,
            Source::SelfDeclaration,
            Source::LabSystem,
            Source::BulkImport,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// Căn cước công dân: 12 digits.
    Cccd,
    /// Chứng minh nhân dân (old): 9 digits.
    Cmnd,
}

/// A national ID: CCCD (12 digits) or CMND (9 digits). Spaces and dots are ignored.
pub fn parse_national_id(raw: &str) -> Result<(String, IdKind), String> {
    let digits: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("must be digits only: CCCD has 12, CMND has 9".into());
    }
    match digits.len() {
        12 => Ok((digits, IdKind::Cccd)),
        9 => Ok((digits, IdKind::Cmnd)),
        n => Err(format!("has {n} digits: CCCD has 12, CMND has 9")),
    }
}

pub fn id_kind_of(national_id: &str) -> Option<IdKind> {
    parse_national_id(national_id).ok().map(|(_, k)| k)
}

/// A passport number: 6 to 20 letters and digits, stored upper-case.
pub fn parse_passport(raw: &str) -> Result<String, String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if (6..=20).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err("must be 6 to 20 letters and digits".into())
    }
}

/// Normalise a phone number to E.164: `0912 345 678`, `+84912345678`, `84 912 345 678`
/// and `0084912345678` are all `+84912345678`. Foreign numbers keep their `+` prefix.
pub fn normalize_phone(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::new();
    for c in trimmed.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            '+' if digits.is_empty() => {}
            _ => return Err("may hold only digits, spaces, dots, dashes and a leading +".into()),
        }
    }
    let (international, digits) = if plus {
        (true, digits.as_str())
    } else if let Some(rest) = digits.strip_prefix("00") {
        (true, rest)
    } else {
        (false, digits.as_str())
    };
    let national = if international {
        match digits.strip_prefix("84") {
            Some(rest) => rest,
            None => {
                return if (8..=15).contains(&digits.len()) && !digits.starts_with('0') {
                    Ok(format!("+{digits}"))
                } else {
                    Err("is not a valid international number".into())
                };
            }
        }
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest
    } else if digits.starts_with("84") && (11..=12).contains(&digits.len()) {
        &digits[2..]
    } else {
        return Err("must start with 0, 84 or +84 (or + and a country code)".into());
    };
    if !(9..=10).contains(&national.len()) || national.starts_with('0') {
        return Err("must have 9 or 10 digits after the leading 0 or +84".into());
    }
    Ok(format!("+84{national}"))
}

/// A person's identifying facts as the user typed them, before validation.
#[derive(Debug, Clone, Default)]
pub struct PersonFacts {
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
    pub national_id: Option<String>,
    pub passport_no: Option<String>,
    pub nationality: Option<String>,
    pub phones: Vec<String>,
    pub vaccination_doses: i32,
}

/// The same facts, validated and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPerson {
    pub full_name: String,
    pub name_folded: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
    pub national_id: Option<String>,
    pub passport_no: Option<String>,
    pub nationality: Option<String>,
    pub phones: Vec<String>,
    pub vaccination_doses: i32,
}

pub const MAX_PHONES: usize = 5;

/// Validate and normalise; every problem is reported, each naming its field.
pub fn validate_person(f: &PersonFacts, today: NaiveDate) -> Result<ValidPerson, Vec<FieldError>> {
    let mut errors = Vec::new();
    let full_name = tidy(&f.full_name);
    check_full_name(&full_name, &mut errors);
    let birth_year = checked_birth_year(f, today, &mut errors);
    let national_id = parsed_optional(
        f.national_id.as_deref(),
        "national_id",
        |raw| parse_national_id(raw).map(|(id, _)| id),
        &mut errors,
    );
    let passport_no = parsed_optional(
        f.passport_no.as_deref(),
        "passport_no",
        parse_passport,
        &mut errors,
    );
    let nationality = checked_nationality(f.nationality.as_deref(), &mut errors);
    let phones = normalized_phones(&f.phones, &mut errors);
    if !(0..=10).contains(&f.vaccination_doses) {
        errors.push(FieldError::new(
            "vaccination_doses",
            "must be between 0 and 10",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidPerson {
        name_folded: fold(&full_name),
        full_name,
        birth_date: f.birth_date,
        birth_year,
        sex: f.sex,
        national_id,
        passport_no,
        nationality,
        phones,
        vaccination_doses: f.vaccination_doses,
    })
}

/// A full name (already tidied) is present, at most 200 characters, without digits or
/// control characters.
fn check_full_name(full_name: &str, errors: &mut Vec<FieldError>) {
    if full_name.is_empty() {
        errors.push(FieldError::new("full_name", "must not be empty"));
    } else if full_name.chars().count() > 200 {
        errors.push(FieldError::new(
            "full_name",
            "must be at most 200 characters",
        ));
    } else if full_name
        .chars()
        .any(|c| c.is_control() || c.is_ascii_digit())
    {
        errors.push(FieldError::new(
            "full_name",
            "must not contain digits or control characters",
        ));
    }
}

/// The birth year: the birth date's when one is given (which must be past, from 1900, and
/// agree with a year given too), else the year given, between 1900 and this year.
fn checked_birth_year(
    f: &PersonFacts,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Option<i32> {
    let mut birth_year = f.birth_year;
    if let Some(d) = f.birth_date {
        if d > today {
            errors.push(FieldError::new("birth_date", "must not be in the future"));
        } else if d.year() < 1900 {
            errors.push(FieldError::new("birth_date", "must be in 1900 or later"));
        }
        match f.birth_year {
            Some(y) if y != d.year() => {
                errors.push(FieldError::new("birth_year", "does not match birth_date"))
            }
            _ => birth_year = Some(d.year()),
        }
    }
    if let Some(y) = f.birth_year {
        if !(1900..=today.year()).contains(&y) {
            errors.push(FieldError::new(
                "birth_year",
                format!("must be between 1900 and {}", today.year()),
            ));
        }
    }
    birth_year
}

/// An optional identifier, parsed when not blank; a parse error is reported on `field`.
fn parsed_optional(
    raw: Option<&str>,
    field: &str,
    parse: impl Fn(&str) -> Result<String, String>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match parse(raw) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldError::new(field, e));
            None
        }
    }
}

/// The nationality, upper-cased when not blank: a two-letter ISO 3166 code.
fn checked_nationality(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let nationality = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_uppercase());
    if let Some(n) = &nationality {
        if n.len() != 2 || !n.chars().all(|c| c.is_ascii_alphabetic()) {
            errors.push(FieldError::new(
                "nationality",
                "must be a two-letter ISO 3166 country code",
            ));
        }
    }
    nationality
}

/// At most `MAX_PHONES` numbers, each normalised, duplicates dropped; each bad one is
/// reported by its index.
fn normalized_phones(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if raw.len() > MAX_PHONES {
        errors.push(FieldError::new(
            "phones",
            format!("at most {MAX_PHONES} numbers"),
        ));
    }
    let mut phones: Vec<String> = Vec::new();
    for (i, raw) in raw.iter().enumerate() {
        match normalize_phone(raw) {
            Ok(p) if !phones.contains(&p) => phones.push(p),
            Ok(_) => {}
            Err(e) => errors.push(FieldError::new(format!("phones[{i}]"), e)),
        }
    }
    phones
}

/// What makes two records a likely duplicate: same folded name, same birth year, a phone in
/// common. (A shared national ID is not "likely": it is the same person and is refused.)
pub fn likely_duplicate(
    a_name_folded: &str,
    a_birth_year: Option<i32>,
    a_phones: &[String],
    b_name_folded: &str,
    b_birth_year: Option<i32>,
    b_phones: &[String],
) -> bool {
    a_name_folded == b_name_folded
        && a_birth_year.is_some()
        && a_birth_year == b_birth_year
        && a_phones.iter().any(|p| b_phones.contains(p))
}

/// Whether two records can be merged; the survivor keeps its own facts and gains the
/// other's phones (and national ID when it had none).
pub fn check_merge(
    survivor_id: &str,
    survivor_nid: Option<&str>,
    survivor_merged: bool,
    other_id: &str,
    other_nid: Option<&str>,
    other_merged: bool,
) -> Result<(), String> {
    if survivor_id == other_id {
        return Err("a record cannot be merged into itself".into());
    }
    if survivor_merged || other_merged {
        return Err("one of the records was already merged into another".into());
    }
    if let (Some(a), Some(b)) = (survivor_nid, other_nid) {
        if a != b {
            return Err("the two records carry different national IDs: not the same person".into());
        }
    }
    Ok(())
}

/// What one of the two records of a merge holds that cannot simply be moved to the other:
/// its cases and its quarantine episodes (docs/domain.md §2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeSide {
    /// Every case of the record: (id, state), retracted ones included.
    pub cases: Vec<(String, CaseState)>,
    /// Every quarantine episode of the record: (id, state, camp it is in).
    pub episodes: Vec<(String, EpisodeState, Option<String>)>,
}

/// Whether the records of one person may be combined (the duplicate's cases, episodes and
/// the rest moved to the record kept). A person is one case and in one quarantine at a time:
/// two cases neither of which was retracted, or two episodes in force (in two camps, or any
/// two), are refused, with what to correct first. The refusal names the state of the
/// duplicate's record that blocks it.
pub fn check_merge_records(kept: &MergeSide, dup: &MergeSide) -> Result<(), Refused> {
    let standing = |s: &MergeSide| -> Vec<(String, CaseState)> {
        s.cases
            .iter()
            .filter(|(_, state)| *state != CaseState::NotACase)
            .cloned()
            .collect()
    };
    if let (Some((k, _)), Some((d, state))) = (
        standing(kept).into_iter().next(),
        standing(dup).into_iter().next(),
    ) {
        return Err(Refused::because(
            state,
            "merge",
            format!(
                "both records are confirmed cases (case {k} and case {d}): a person is one \
                 case; retract the mistaken case before merging"
            ),
        ));
    }
    let in_force = |s: &MergeSide| {
        s.episodes
            .iter()
            .find(|(_, state, _)| state.is_open())
            .cloned()
    };
    if let (Some((k, k_state, k_site)), Some((d, d_state, d_site))) =
        (in_force(kept), in_force(dup))
    {
        let reason = match (k_state, &k_site, d_state, &d_site) {
            (EpisodeState::Active, Some(a), EpisodeState::Active, Some(b)) if a != b => format!(
                "the two records are in quarantine in different camps ({a} and {b}): one \
                 person cannot be in two camps; transfer, release or check one out before \
                 merging"
            ),
            _ => format!(
                "both records have a quarantine episode in force (episode {k} {k_state}, \
                 episode {d} {d_state}): a person is quarantined once; cancel, release or \
                 close one before merging"
            ),
        };
        return Err(Refused::because(d_state, "merge", reason));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 5, 10).unwrap()
    }

    #[test]
    fn phones_normalise_to_one_form() {
        for raw in [
            "0912345678",
            "+84912345678",
            "84 912 345 678",
            "0912.345.678",
            "0084912345678",
        ] {
            assert_eq!(normalize_phone(raw).unwrap(), "+84912345678", "{raw}");
        }
        assert_eq!(normalize_phone("024 3825 1234").unwrap(), "+842438251234");
        assert_eq!(normalize_phone("+1 202 555 0143").unwrap(), "+12025550143");
        assert!(normalize_phone("12345").is_err());
        assert!(normalize_phone("0912abc678").is_err());
        assert!(normalize_phone("091234").is_err());
        assert!(normalize_phone("").is_err());
    }

    #[test]
    fn national_ids() {
        assert_eq!(
            parse_national_id("022 093 001 234").unwrap(),
            ("022093001234".into(), IdKind::Cccd)
        );
        assert_eq!(parse_national_id("100123456").unwrap().1, IdKind::Cmnd);
        assert!(parse_national_id("12345678901")
            .unwrap_err()
            .contains("11 digits"));
        assert!(parse_national_id("02209300123X").is_err());
    }

    #[test]
    fn passports() {
        assert_eq!(parse_passport("c1234567").unwrap(), "C1234567");
        assert!(parse_passport("C12").is_err());
        assert!(parse_passport("C123-4567").is_err());
    }

    #[test]
    fn validation_names_every_field() {
        let facts = PersonFacts {
            full_name: "  ".into(),
            birth_year: Some(1850),
            national_id: Some("123".into()),
            phones: vec!["0912345678".into(), "abc".into()],
            vaccination_doses: 12,
            ..Default::default()
        };
        let errs = validate_person(&facts, today()).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "birth_year",
                "national_id",
                "phones[1]",
                "vaccination_doses"
            ]
        );
    }

    #[test]
    fn validation_normalises() {
        let facts = PersonFacts {
            full_name: " Nguyễn  Văn An ".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 2),
            national_id: Some("022 093 001 234".into()),
            nationality: Some("vn".into()),
            phones: vec!["0912 345 678".into(), "+84912345678".into()],
            ..Default::default()
        };
        let p = validate_person(&facts, today()).unwrap();
        assert_eq!(p.full_name, "Nguyễn Văn An");
        assert_eq!(p.name_folded, "nguyen van an");
        assert_eq!(p.birth_year, Some(1990));
        assert_eq!(p.national_id.as_deref(), Some("022093001234"));
        assert_eq!(p.nationality.as_deref(), Some("VN"));
        assert_eq!(p.phones, ["+84912345678"]);
    }

    #[test]
    fn birth_date_and_year_must_agree() {
        let facts = PersonFacts {
            full_name: "An".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 2),
            birth_year: Some(1991),
            ..Default::default()
        };
        let errs = validate_person(&facts, today()).unwrap_err();
        assert_eq!(errs[0].field, "birth_year");
        let future = PersonFacts {
            full_name: "An".into(),
            birth_date: NaiveDate::from_ymd_opt(2030, 1, 2),
            ..Default::default()
        };
        assert_eq!(
            validate_person(&future, today()).unwrap_err()[0].field,
            "birth_date"
        );
    }

    #[test]
    fn likely_duplicates_need_name_year_and_phone() {
        let p = vec!["+84912345678".to_string()];
        let q = vec!["+84987654321".to_string()];
        assert!(likely_duplicate(
            "nguyen van an",
            Some(1990),
            &p,
            "nguyen van an",
            Some(1990),
            &p
        ));
        assert!(!likely_duplicate(
            "nguyen van an",
            Some(1990),
            &p,
            "nguyen van an",
            Some(1991),
            &p
        ));
        assert!(!likely_duplicate(
            "nguyen van an",
            Some(1990),
            &p,
            "nguyen van an",
            Some(1990),
            &q
        ));
        assert!(!likely_duplicate(
            "nguyen van an",
            None,
            &p,
            "nguyen van an",
            None,
            &p
        ));
        assert!(!likely_duplicate(
            "nguyen van an",
            Some(1990),
            &p,
            "nguyen van anh",
            Some(1990),
            &p
        ));
    }

    #[test]
    fn merge_rules() {
        assert!(check_merge("a", None, false, "a", None, false).is_err());
        assert!(check_merge("a", Some("1"), false, "b", Some("2"), false).is_err());
        assert!(check_merge("a", None, false, "b", None, true).is_err());
        assert!(check_merge("a", Some("1"), false, "b", None, false).is_ok());
        assert!(check_merge("a", None, false, "b", Some("2"), false).is_ok());
    }

    fn side(cases: &[CaseState], episodes: &[(EpisodeState, Option<&str>)]) -> MergeSide {
        MergeSide {
            cases: cases
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("c{i}"), *s))
                .collect(),
            episodes: episodes
                .iter()
                .enumerate()
                .map(|(i, (s, site))| (format!("e{i}"), *s, site.map(str::to_string)))
                .collect(),
        }
    }

    #[test]
    fn merge_refuses_two_cases_neither_retracted() {
        use CaseState::*;
        let err =
            check_merge_records(&side(&[Confirmed], &[]), &side(&[InTreatment], &[])).unwrap_err();
        assert_eq!(err.command, "merge");
        assert_eq!(err.state, "in_treatment");
        assert!(err
            .reason
            .unwrap()
            .contains("both records are confirmed cases"));
        // an outcome is still a case
        assert!(check_merge_records(&side(&[Recovered], &[]), &side(&[Confirmed], &[])).is_err());
        // a retracted case is none: it moves with the rest
        assert!(check_merge_records(&side(&[Confirmed], &[]), &side(&[NotACase], &[])).is_ok());
        assert!(
            check_merge_records(&side(&[NotACase, Confirmed], &[]), &side(&[NotACase], &[]))
                .is_ok()
        );
        // one case on either side moves to the record kept
        assert!(check_merge_records(&side(&[], &[]), &side(&[Confirmed], &[])).is_ok());
        assert!(check_merge_records(&side(&[Confirmed], &[]), &side(&[], &[])).is_ok());
    }

    #[test]
    fn merge_refuses_two_active_episodes_in_different_camps() {
        use EpisodeState::*;
        let err = check_merge_records(
            &side(&[], &[(Active, Some("camp-a"))]),
            &side(&[], &[(Active, Some("camp-b"))]),
        )
        .unwrap_err();
        assert_eq!(err.state, "active");
        let why = err.reason.unwrap();
        assert!(why.contains("different camps (camp-a and camp-b)"), "{why}");
    }

    #[test]
    fn merge_refuses_any_two_episodes_in_force_and_moves_the_rest() {
        use EpisodeState::*;
        for (k, d) in [
            ((Active, Some("camp-a")), (Active, Some("camp-a"))),
            ((Active, Some("camp-a")), (Active, None)),
            ((Ordered, Some("camp-a")), (Active, Some("camp-b"))),
            ((Active, None), (Absconded, None)),
        ] {
            let err = check_merge_records(&side(&[], &[k]), &side(&[], &[d])).unwrap_err();
            let why = err.reason.unwrap();
            assert!(
                why.contains("quarantine episode in force"),
                "{k:?} {d:?}: {why}"
            );
        }
        // episodes that ended move with the rest
        assert!(check_merge_records(
            &side(&[], &[(Active, Some("camp-a"))]),
            &side(&[], &[(Released, Some("camp-b")), (Closed, None)]),
        )
        .is_ok());
        assert!(check_merge_records(
            &side(&[], &[(Monitoring, None)]),
            &side(&[], &[(Active, Some("camp-b"))]),
        )
        .is_ok());
    }
}
