//! Quarantine (docs/domain.md §5): regimes as data, day counting in local time, the plan of an
//! episode (its days, release date and test days), and the episode state machine with who
//! may ask for each move.
//!
//! Each part lives in its own submodule; everything is re-exported here, so callers keep
//! using `domain::quarantine::X`.

mod days;
mod episode;
mod regimes;

pub use days::{date_of_day, day_number, plan, Plan, TestDue};
pub use episode::{
    check_in_command, episode_transition, goes_through_check_in, may_command, may_move_regime,
    result_refused, Destination, EpisodeCommand, EpisodeFacts, EpisodeState,
};
pub use regimes::{
    days_under, restart_regime, select_regime, shipped_regimes, Durations, LevelDurations, Mode,
    ModeRefused, Regime, RegimeRules,
};
