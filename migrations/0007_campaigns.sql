-- Outbound campaigns: which campaigns the server runs (so a restart resumes them) and every
-- call attempt, written before its INVITE leaves and completed with its outcome when it ends.
CREATE TABLE IF NOT EXISTS campaign_runs (
    campaign    TEXT PRIMARY KEY,
    file        TEXT NOT NULL,
    -- running, paused, stopped or finished
    state       TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS campaign_attempts (
    id           TEXT PRIMARY KEY,
    campaign     TEXT NOT NULL,
    number       TEXT NOT NULL,
    -- 1 for the contact's first attempt, 2 for the next ...
    attempt      INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    -- the dialer's outcome name (answered_person, busy, no_answer, server_restart ...)
    outcome      TEXT,
    -- the INVITE's final status (after any digest challenge); NULL when none came
    sip_status   INTEGER,
    sip_call_id  TEXT,
    -- the call record (calls.id) when the contact answered and the flow ran
    call_id      TEXT
);
CREATE INDEX IF NOT EXISTS campaign_attempts_by_campaign ON campaign_attempts(campaign, started_at);
