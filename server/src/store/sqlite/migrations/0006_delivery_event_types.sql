-- The delivery log filters by event type and offers the types an endpoint
-- has had; both read this index instead of the endpoint's whole log.
CREATE INDEX deliveries_by_webhook_type
    ON deliveries (webhook_id, event_type, created_at DESC, id DESC);

-- The log's order is created_at DESC, id DESC: with `id` descending in the
-- index too, a page needs no sort of ties.
DROP INDEX deliveries_by_webhook;
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, created_at DESC, id DESC);
