-- A fact carries the time it happened beside the time it was recorded. The event's `at`
-- is when it happened; `recorded_at` when the server wrote it (NULL in events written
-- before this: they were stamped when recorded) and `backdate_reason` why a fact older than
-- the backdating limit was recorded late.
ALTER TABLE events ADD COLUMN recorded_at TIMESTAMP;
ALTER TABLE events ADD COLUMN backdate_reason TEXT;

-- when an episode was ordered and when it entered its current state (it happened then;
-- created_at and updated_at say when the server recorded it)
ALTER TABLE episodes ADD COLUMN ordered_at TIMESTAMP;
ALTER TABLE episodes ADD COLUMN state_at TIMESTAMP;
UPDATE episodes SET ordered_at = created_at, state_at = updated_at;
ALTER TABLE episodes ALTER COLUMN ordered_at SET NOT NULL, ALTER COLUMN state_at SET NOT NULL;

-- when a daily report was given, and when a contact was listed
ALTER TABLE daily_reports ADD COLUMN reported_at TIMESTAMP;
UPDATE daily_reports SET reported_at = created_at;
ALTER TABLE daily_reports ALTER COLUMN reported_at SET NOT NULL;
ALTER TABLE contacts ADD COLUMN listed_at TIMESTAMP;
UPDATE contacts SET listed_at = created_at;
ALTER TABLE contacts ALTER COLUMN listed_at SET NOT NULL;

-- when a release cleared a classification (status 'cleared'): a later exposure classifies
-- the person again
ALTER TABLE exposures ADD COLUMN cleared_at TIMESTAMP;

-- people released before releases cleared: their classification ends at their last release
-- (the exposure they were quarantined for began before it; not someone in quarantine again),
-- each with its event
INSERT INTO events (id, entity_type, entity_id, action, at, before_json, after_json, reason,
                    recorded_at)
SELECT 'backfill-cleared-' || exposures.person_id, 'person', exposures.person_id, 'cleared',
  (SELECT MAX(e.released_at) FROM episodes e WHERE e.person_id = exposures.person_id),
  '{"status":"active"}', '{"status":"cleared"}',
  'released from quarantine before releases cleared a classification', (now() AT TIME ZONE 'UTC')
FROM exposures
WHERE exposures.status = 'active' AND exposures.level > 0
  AND (SELECT MAX(e.released_at) FROM episodes e WHERE e.person_id = exposures.person_id)
      > exposures.window_start
  AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.person_id = exposures.person_id
                  AND e.state IN ('ordered', 'active', 'absconded'));
UPDATE exposures
SET status = 'cleared',
    cleared_at = (SELECT MAX(e.released_at) FROM episodes e
                  WHERE e.person_id = exposures.person_id),
    updated_at = (now() AT TIME ZONE 'UTC')
WHERE exposures.status = 'active' AND exposures.level > 0
  AND (SELECT MAX(e.released_at) FROM episodes e WHERE e.person_id = exposures.person_id)
      > exposures.window_start
  AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.person_id = exposures.person_id
                  AND e.state IN ('ordered', 'active', 'absconded'));
