//! The rules of the domain, pure: types, permissions, validation and normalisation.
//! No database, no HTTP, no I/O: everything here is unit-tested in isolation.

pub mod camps;
pub mod cases;
pub mod classification;
pub mod happened;
pub mod home;
pub mod investigation;
pub mod login;
pub mod notices;
pub mod people;
pub mod privacy;
pub mod quarantine;
pub mod reports;
pub mod retention;
pub mod risk;
pub mod roles;
pub mod rules;
pub mod samples;
pub mod states;
pub mod text;
pub mod time;
pub mod units;
pub mod zones;

/// A problem with one field of a command, named the way the API names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, as named in the request body or query (`phones[1]`, `national_id`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Password rules for accounts.
pub fn check_password(username: &str, password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < 10 {
        return Err("must be at least 10 characters".into());
    }
    if chars > 128 {
        return Err("must be at most 128 characters".into());
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err("must not be the username".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        assert!(check_password("an", "short").is_err());
        assert!(check_password("longusername", "LongUserName").is_err());
        assert!(check_password("an", &"x".repeat(129)).is_err());
        assert!(check_password("an", "correct horse battery").is_ok());
    }
}
