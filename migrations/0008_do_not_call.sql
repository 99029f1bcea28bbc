-- The global do-not-call list: numbers no campaign may call, in E.164, with when, why and who
-- added them (`cli`, `api`, an import file, or the campaign whose contact opted out).
CREATE TABLE IF NOT EXISTS do_not_call (
    number    TEXT PRIMARY KEY,
    added_at  INTEGER NOT NULL,
    reason    TEXT NOT NULL DEFAULT '',
    source    TEXT NOT NULL
);
