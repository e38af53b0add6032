-- Organisations, their users, server-side sessions, email confirmations and
-- the mail outbox. Times are Unix seconds. Tokens and session ids are stored
-- only as SHA-256 hashes.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'suspended')),
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    organisation_id      TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name            TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    pin_hash             TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('superadmin', 'admin', 'developer', 'viewer')),
    status               TEXT NOT NULL CHECK (status IN ('active', 'deactivated')) DEFAULT 'active',
    email_confirmed_at   INTEGER,
    pin_failed_attempts  INTEGER NOT NULL DEFAULT 0,
    pin_locked_until     INTEGER,
    last_sign_in_at      INTEGER,
    created_at           INTEGER NOT NULL
);
CREATE INDEX users_by_organisation ON users (organisation_id, created_at, id);

CREATE TABLE sessions (
    id_hash       BLOB PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE email_confirmations (
    token_hash  BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX email_confirmations_by_user ON email_confirmations (user_id);

-- Every mail the portal sends. Without SMTP the body is kept so a developer can
-- read it (it holds one-time links); with SMTP only the envelope is kept.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    to_address  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT,
    transport   TEXT NOT NULL CHECK (transport IN ('log', 'smtp')),
    status      TEXT NOT NULL CHECK (status IN ('logged', 'sent', 'failed')),
    error       TEXT,
    created_at  INTEGER NOT NULL
);
