-- Every flow version published or rolled back to from the console's flow editor (issue 11), with
-- who and when, so any one can be restored. `action` is publish, rollback or original (the file
-- as it was on disk before the first publish from the console, kept so it can be restored too).
CREATE TABLE IF NOT EXISTS flow_publications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    file          TEXT NOT NULL,
    version       TEXT NOT NULL,
    source        TEXT NOT NULL,
    published_by  TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    action        TEXT NOT NULL,
    restored_from INTEGER
);
CREATE INDEX IF NOT EXISTS flow_publications_file ON flow_publications(file, id);
