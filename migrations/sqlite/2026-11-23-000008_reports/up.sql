-- Indexes for the reports: the 5S read model joins each F0 to the F1s listed through them and
-- their first task done, admission and sample; the weekly report counts by time.
CREATE INDEX cases_confirmed_at ON cases (confirmed_at);
CREATE INDEX exposures_via_person ON exposures (via_person_id, level);
CREATE INDEX events_action_at ON events (action, at);
CREATE INDEX episodes_admitted_at ON episodes (admitted_at);
CREATE INDEX episodes_released_at ON episodes (released_at);
CREATE INDEX samples_collected_at ON samples (collected_at);
CREATE INDEX samples_resulted_at ON samples (resulted_at);
CREATE INDEX trace_tasks_person ON trace_tasks (person_id);
