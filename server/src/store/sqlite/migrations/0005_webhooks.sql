-- Webhook endpoints. The signing secret is needed to sign, so it is kept
-- encrypted (XChaCha20-Poly1305, key in the data folder), never in plain text.
CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY,
    organisation_id      TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    project_id           TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    url                  TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    -- Space-separated; empty means every event type.
    event_types          TEXT NOT NULL DEFAULT '',
    enabled              INTEGER NOT NULL DEFAULT 1,
    disabled_reason      TEXT CHECK (disabled_reason IN ('by_user', 'gone', 'failing')),
    secret               BLOB NOT NULL,
    -- During a rotation's overlap the previous secret signs too.
    previous_secret      BLOB,
    previous_secret_until INTEGER,
    -- Set at the first failure after a success; cleared by a success.
    failing_since        INTEGER,
    created_at           INTEGER NOT NULL
);
CREATE INDEX webhooks_by_project ON webhooks (project_id, created_at);
CREATE INDEX webhooks_by_organisation ON webhooks (organisation_id);

-- Events, from the portal or from partners through /v1/events.
CREATE TABLE events (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    project_id       TEXT REFERENCES projects (id) ON DELETE CASCADE,
    type             TEXT NOT NULL,
    -- The exact body that is signed and sent.
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

-- One event to one endpoint. Written in the same transaction as the event.
CREATE TABLE deliveries (
    id                TEXT PRIMARY KEY,
    event_id          TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id        TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type        TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER,
    -- 1 while a worker of this process holds it; cleared at start-up, so a
    -- delivery held by a killed process is attempted again.
    leased            INTEGER NOT NULL DEFAULT 0,
    last_http_status  INTEGER,
    last_latency_ms   INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending' AND leased = 0;
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, created_at DESC, id);

CREATE TABLE delivery_attempts (
    delivery_id       TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt           INTEGER NOT NULL,
    started_at        INTEGER NOT NULL,
    -- JSON array of [name, value] pairs, as sent.
    request_headers   TEXT NOT NULL,
    response_status   INTEGER,
    response_excerpt  TEXT NOT NULL DEFAULT '',
    latency_ms        INTEGER NOT NULL,
    error             TEXT,
    PRIMARY KEY (delivery_id, attempt)
) WITHOUT ROWID;
