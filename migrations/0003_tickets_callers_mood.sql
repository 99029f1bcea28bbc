-- Tickets created by flows, what Hotline remembers about callers, and the caller's mood per turn.
CREATE TABLE IF NOT EXISTS tickets (
    id          TEXT PRIMARY KEY,
    call_id     TEXT NOT NULL REFERENCES calls(id),
    created_at  INTEGER NOT NULL,
    summary     TEXT NOT NULL,
    fields      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_call ON tickets(call_id);

CREATE TABLE IF NOT EXISTS caller_memory (
    caller      TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (caller, key)
);

ALTER TABLE turns ADD COLUMN sentiment REAL;
ALTER TABLE turns ADD COLUMN anger REAL;
ALTER TABLE turns ADD COLUMN mood_cues TEXT;
ALTER TABLE turns ADD COLUMN trace TEXT;
ALTER TABLE calls ADD COLUMN caller_key TEXT;
