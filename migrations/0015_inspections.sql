-- Quality inspection of every call (issue 11 item 5): the score the supervisor's rules gave an
-- ended call, the rules that fired with their evidence (JSON), and a supervisor's review. The
-- inspection columns are rewritten whenever the call is inspected again (`hotline calls
-- inspect`); the review columns are kept.
CREATE TABLE IF NOT EXISTS inspections (
    call_id       TEXT PRIMARY KEY,
    inspected_at  INTEGER NOT NULL,
    score         INTEGER NOT NULL,
    -- JSON array of {rule, description, weight, turn, evidence}.
    fired         TEXT NOT NULL,
    reviewed_by   TEXT,
    reviewed_at   INTEGER,
    review_note   TEXT
);
-- The console lists the worst calls first.
CREATE INDEX IF NOT EXISTS inspections_score ON inspections(score, inspected_at);

CREATE TRIGGER IF NOT EXISTS inspection_on_call_delete AFTER DELETE ON calls BEGIN
    DELETE FROM inspections WHERE call_id = OLD.id;
END;
