-- Every flow version the server has run, so a call record's flow_version names exact source.
CREATE TABLE IF NOT EXISTS flow_versions (
    version    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    file       TEXT NOT NULL,
    loaded_at  INTEGER NOT NULL,
    source     TEXT NOT NULL
);
