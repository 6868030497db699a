//! Notices across jurisdictions (docs/domain.md §10). Whether a
//! person is known elsewhere is personal data: a tracer never learns it. When the person
//! they register or trace lives outside their jurisdiction, or carries a national ID that a
//! record elsewhere holds, the other jurisdiction is sent a notice of what the tracer sent
//! (with the contact and the level it implies); it accepts and links the person to one of
//! its records (or makes one), or rejects the notice with a reason, and from then on owns
//! the person.

use super::states::{text_enum, Refused};
use serde::{Deserialize, Serialize};

/// Why the notice went where it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeReason {
    /// The person lives in the receiving jurisdiction, outside the sender's.
    Residence,
    /// The national ID sent is held by a record of the receiving jurisdiction; the sender
    /// registered the person in their own (and is not told).
    Identity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    Sent,
    /// The receiving jurisdiction linked the person to one of its records, or made one.
    Accepted,
    /// The receiving jurisdiction declined, with a reason.
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeCommand {
    Accept,
    Reject,
}

text_enum!(NoticeReason { Residence => "residence", Identity => "identity" });
text_enum!(NoticeState { Sent => "sent", Accepted => "accepted", Rejected => "rejected" });
text_enum!(NoticeCommand { Accept => "accept", Reject => "reject" });

/// The notice state machine: a sent notice is answered once.
pub fn notice_transition(
    state: NoticeState,
    command: NoticeCommand,
) -> Result<NoticeState, Refused> {
    use NoticeCommand::*;
    use NoticeState::*;
    match (state, command) {
        (Sent, Accept) => Ok(Accepted),
        (Sent, Reject) => Ok(Rejected),
        _ => Err(Refused::new(state, command)),
    }
}

/// Whether the sender may see a notice: only one of residence, which they chose by the
/// address they gave. An identity notice tells where a national ID is known.
pub fn sender_sees(reason: NoticeReason) -> bool {
    reason == NoticeReason::Residence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_notice_is_answered_once() {
        use NoticeCommand::*;
        use NoticeState::*;
        assert_eq!(notice_transition(Sent, Accept), Ok(Accepted));
        assert_eq!(notice_transition(Sent, Reject), Ok(Rejected));
        for state in [Accepted, Rejected] {
            for command in [Accept, Reject] {
                let refused = notice_transition(state, command).unwrap_err();
                assert_eq!(refused.state, state.as_str());
                assert_eq!(refused.command, command.as_str());
            }
        }
    }

    #[test]
    fn the_sender_never_sees_where_a_national_id_is_known() {
        assert!(sender_sees(NoticeReason::Residence));
        assert!(!sender_sees(NoticeReason::Identity));
    }

    #[test]
    fn names_round_trip() {
        for s in [
            NoticeState::Sent,
            NoticeState::Accepted,
            NoticeState::Rejected,
        ] {
            assert_eq!(NoticeState::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            NoticeReason::parse("identity"),
            Some(NoticeReason::Identity)
        );
        assert_eq!(NoticeReason::parse("other"), None);
    }
}
