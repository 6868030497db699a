//! What the domain's states have in common: how they are written as text, and how a move
//! that is not allowed is refused.

use std::fmt;

/// The conversions every stored enum has, in terms of its `parse` and `as_str`: the text
/// a row holds becomes the enum or an error naming the type and the value.
macro_rules! text_conversions {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $t::parse(&s).ok_or_else(|| format!("unknown {} '{}'", stringify!($t), s))
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.as_str().to_string()
            }
        }
    };
}

pub(crate) use text_conversions;

/// An enum written as snake-case text: `as_str`, `parse`, `Display`, and the conversions
/// from and to `String` that the store uses.
macro_rules! text_enum {
    ($t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        $crate::domain::states::text_conversions!($t);
    };
}

pub(crate) use text_enum;

/// A refused move names the state and the command; `reason` explains it when the refusal
/// is not just "this command is not allowed from this state".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub state: String,
    pub command: String,
    pub reason: Option<String>,
}

impl Refused {
    /// The command is not allowed from the state.
    pub fn new(state: impl fmt::Display, command: impl fmt::Display) -> Self {
        Refused {
            state: state.to_string(),
            command: command.to_string(),
            reason: None,
        }
    }

    /// The command is refused from the state for a reason a rule gives.
    pub fn because(
        state: impl fmt::Display,
        command: impl fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Refused {
            state: state.to_string(),
            command: command.to_string(),
            reason: Some(reason.into()),
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not allowed from state '{}'",
            self.command, self.state
        )?;
        if let Some(reason) = &self.reason {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Colour {
        Red,
        DarkBlue,
    }
    text_enum!(Colour { Red => "red", DarkBlue => "dark_blue" });

    #[test]
    fn text_round_trips_and_unknown_text_names_the_type() {
        assert_eq!(
            Colour::try_from("dark_blue".to_string()),
            Ok(Colour::DarkBlue)
        );
        assert_eq!(String::from(Colour::Red), "red");
        assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
        assert_eq!(
            Colour::try_from("xyz".to_string()),
            Err("unknown Colour 'xyz'".to_string())
        );
    }

    #[test]
    fn a_reason_follows_the_refusal() {
        assert_eq!(
            Refused::new("open", "close").to_string(),
            "'close' is not allowed from state 'open'"
        );
        assert_eq!(
            Refused::because("open", "close", "samples pending").to_string(),
            "'close' is not allowed from state 'open': samples pending"
        );
    }
}
