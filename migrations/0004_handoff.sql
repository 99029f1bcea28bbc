-- Human handoff: callers queued for agents, offers to agents, agent state changes, callback
-- requests, handoff tickets with the conversation so far, and the durable webhook outbox.
CREATE TABLE IF NOT EXISTS queue_calls (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id        TEXT NOT NULL,
    queue          TEXT NOT NULL,
    priority       INTEGER NOT NULL DEFAULT 0,
    entered_at     INTEGER NOT NULL,
    answered_at    INTEGER,
    agent          TEXT,
    ended_at       INTEGER,
    -- handled, abandoned, overflow:voicemail|callback|hangup|queue:NAME, callback, referred
    outcome        TEXT,
    ring_attempts  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queue_calls_call ON queue_calls(call_id);
CREATE INDEX IF NOT EXISTS queue_calls_queue ON queue_calls(queue, entered_at);

CREATE TABLE IF NOT EXISTS agent_offers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id     TEXT NOT NULL,
    agent       TEXT NOT NULL,
    offered_at  INTEGER NOT NULL,
    -- answered, no-answer, caller-gone; NULL while ringing
    outcome     TEXT,
    outcome_at  INTEGER
);
CREATE INDEX IF NOT EXISTS agent_offers_agent ON agent_offers(agent);
CREATE INDEX IF NOT EXISTS agent_offers_call ON agent_offers(call_id, agent);

CREATE TABLE IF NOT EXISTS agent_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    agent   TEXT NOT NULL,
    state   TEXT NOT NULL,
    reason  TEXT,
    at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_events_agent ON agent_events(agent, at);

CREATE TABLE IF NOT EXISTS callbacks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id       TEXT NOT NULL,
    queue         TEXT NOT NULL,
    number        TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'placed', 'done'))
);
CREATE INDEX IF NOT EXISTS callbacks_status ON callbacks(status, requested_at);

ALTER TABLE tickets ADD COLUMN kind TEXT NOT NULL DEFAULT 'flow';
ALTER TABLE tickets ADD COLUMN reason TEXT;
ALTER TABLE tickets ADD COLUMN queue TEXT;
ALTER TABLE tickets ADD COLUMN context TEXT;

CREATE TABLE IF NOT EXISTS webhook_outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    url              TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    delivered_at     INTEGER,
    last_error       TEXT,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed'))
);
CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox(status, next_attempt_at);
