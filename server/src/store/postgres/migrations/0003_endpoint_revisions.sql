-- An endpoint's revision counts the changes that matter to the delivery
-- worker (URL, enabled, secrets); the worker keeps endpoints between claims
-- and reads one again when its revision moved.
ALTER TABLE webhooks ADD COLUMN revision bigint NOT NULL DEFAULT 0;
