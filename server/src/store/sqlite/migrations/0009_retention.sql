-- The retention job deletes old events, outbox rows and invitations by age,
-- and deactivating a member revokes the invitations they sent.
CREATE INDEX events_by_created ON events (created_at);
CREATE INDEX outbox_by_created ON outbox (created_at);
CREATE INDEX invitations_by_created ON invitations (created_at);
CREATE INDEX invitations_by_inviter ON invitations (invited_by);
