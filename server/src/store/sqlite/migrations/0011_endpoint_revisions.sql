-- An endpoint's revision counts the changes that matter to the delivery
-- worker (URL, enabled, secrets); the worker keeps endpoints between claims
-- and reads one again when its revision moved.
ALTER TABLE webhooks ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
-- Statements are written once for both backends, and compare addresses
-- whatever their case with lower(), as PostgreSQL's indexes do.
CREATE INDEX users_by_lower_email ON users (lower(email));
CREATE INDEX invitations_by_lower_email ON invitations (organisation_id, lower(email));
