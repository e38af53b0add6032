-- Projects: an organisation's containers for credentials and webhooks.
CREATE TABLE projects (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    environment      TEXT NOT NULL CHECK (environment IN ('sandbox', 'production')),
    created_at       INTEGER NOT NULL
);
-- Names are unique per organisation, whatever their case.
CREATE UNIQUE INDEX projects_by_organisation_name ON projects (organisation_id, name COLLATE NOCASE);
