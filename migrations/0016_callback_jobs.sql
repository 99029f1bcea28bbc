-- Callback jobs placed by the server: attempts, when to try next, the lease of the server
-- placing one (so a crash neither loses it nor lets two servers place it at once), the agent it
-- was reserved for, the last outcome, and `failed` once the queue's attempts are used.
CREATE TABLE callbacks_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id       TEXT NOT NULL,
    queue         TEXT NOT NULL,
    number        TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'placed', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try_at   INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER,
    agent         TEXT,
    -- answered, busy, no-answer, failed, agent-missed
    last_outcome  TEXT,
    updated_at    INTEGER,
    -- the call record of the attempt that reached the customer
    placed_call_id TEXT
);
INSERT INTO callbacks_new (id, call_id, queue, number, requested_at, status)
    SELECT id, call_id, queue, number, requested_at, status FROM callbacks;
DROP TABLE callbacks;
ALTER TABLE callbacks_new RENAME TO callbacks;
CREATE INDEX IF NOT EXISTS callbacks_status ON callbacks(status, requested_at);
