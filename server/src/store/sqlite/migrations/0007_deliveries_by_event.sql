-- Deleting a project deletes its events, and each deleted event makes SQLite
-- look up that event's deliveries (ON DELETE CASCADE). Without this index
-- every lookup scanned the whole deliveries table: 19 s for a project with
-- 20 000 events, holding the write lock; 0.16 s with it.
CREATE INDEX deliveries_by_event ON deliveries (event_id);
