-- What an organisation keeps of its events counts against its storage
-- budget: each event's size (the bytes of its body), and the organisation's
-- total, kept as events are written and deleted.
ALTER TABLE events ADD COLUMN size bigint NOT NULL DEFAULT 0;
UPDATE events SET size = octet_length(body);
ALTER TABLE organisations ADD COLUMN stored_event_bytes bigint NOT NULL DEFAULT 0;
UPDATE organisations SET stored_event_bytes =
    (SELECT COALESCE(SUM(size), 0) FROM events WHERE events.organisation_id = organisations.id);
