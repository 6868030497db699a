//! Quarantine: regimes, sites with rooms and beds, homes, episodes with their scheduled
//! tests, warning signs, daily reports, follow-ups and violations.
//!
//! One submodule per aggregate; everything is re-exported here, so callers keep using
//! `store::quarantine::X`.

mod episodes;
mod follow_ups;
mod homes;
mod regimes;
mod rows;
mod scheduled_tests;
mod sites;
mod violations;

pub use episodes::{
    episodes_of_person, f1_not_isolated, get_episode, home_episodes, insert_episode, list_episodes,
    open_episode_of, quarantined_with, room_occupants, update_episode, EpisodeFilter,
};
pub use follow_ups::{get_follow_up, open_follow_ups, raise_follow_up, resolve_follow_up};
pub use homes::{
    active_home_episodes, get_home, get_sign, insert_home, insert_report, insert_sign, remove_sign,
    report_dates, reports_of, signs_left_posted, signs_of, update_home,
};
pub use regimes::{all_regimes, get_regime, insert_regime, latest_version};
pub use rows::{
    AreaRow, BedRow, EpisodeRow, FollowUpRow, HomeRow, RegimeRow, ReportRow, RoomRow, SignRow,
    SiteRow, TestRow, ViolationRow,
};
pub use scheduled_tests::{
    get_test, insert_tests, set_test_result, supersede_pending_tests, supersede_test, tests_of,
    tests_of_many,
};
pub use sites::{
    areas_of, bed_counts, beds_of_site, expected_at_site, get_area, get_room, get_site,
    insert_area, insert_room, insert_site, list_sites, lock_site, occupancy, person_basics,
    residents, rooms_of, PersonBasics,
};
pub use violations::{
    absconded, get_violation, handle_violation, insert_violation, last_contact_between,
    open_violations,
};
