-- API credentials. The id is also the OAuth2 client id.
CREATE TABLE credentials (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    -- Deleting a project deletes its credentials, so their tokens stop working.
    project_id       TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    description      TEXT NOT NULL,
    -- Space-separated, as in OAuth2: "read", "write" or "read write".
    scopes           TEXT NOT NULL,
    created_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER,
    revoked_at       INTEGER,
    last_token_at    INTEGER,
    last_call_at     INTEGER
);
CREATE INDEX credentials_by_project ON credentials (project_id, created_at);
CREATE INDEX credentials_by_organisation ON credentials (organisation_id, created_at);

-- A credential's working secrets, as SHA-256 only. After a roll the old one
-- stays until its expires_at; a revoke deletes them all.
CREATE TABLE credential_secrets (
    hash           BLOB PRIMARY KEY,
    credential_id  TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    -- The prefix and first random characters, which lists show.
    hint           TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX credential_secrets_by_credential ON credential_secrets (credential_id);
