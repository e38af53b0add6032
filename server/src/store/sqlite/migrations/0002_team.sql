-- Invitations (tokens stored as SHA-256 only) and the indexes the member list
-- searches, filters and sorts with.

CREATE TABLE invitations (
    id                TEXT PRIMARY KEY,
    organisation_id   TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email             TEXT NOT NULL COLLATE NOCASE,
    role              TEXT NOT NULL CHECK (role IN ('superadmin', 'admin', 'developer', 'viewer')),
    token_hash        BLOB NOT NULL UNIQUE,
    invited_by        TEXT NOT NULL REFERENCES users (id),
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    accepted_at       INTEGER,
    accepted_user_id  TEXT REFERENCES users (id),
    revoked_at        INTEGER
);
CREATE INDEX invitations_by_organisation ON invitations (organisation_id, created_at);
CREATE INDEX invitations_by_email ON invitations (organisation_id, email);

-- Covers the search (name, email) and filters (role, status), so a search
-- scans this index rather than whole rows, and serves the sort by name.
CREATE INDEX users_by_organisation_name ON users (organisation_id, full_name COLLATE NOCASE, email, role, status);
CREATE INDEX users_by_organisation_email ON users (organisation_id, email);
-- With id, ties (e.g. the many who never signed in) need no sort either.
CREATE INDEX users_by_organisation_last_sign_in ON users (organisation_id, last_sign_in_at, id);
