-- Every input the flow received on a call, with its time and the decisions it led to, so a call
-- can be replayed (`hotline calls replay ID`). Text, digits and timings only, never audio.
CREATE TABLE IF NOT EXISTS call_journal (
    call_id    TEXT NOT NULL REFERENCES calls(id),
    seq        INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    input      TEXT NOT NULL,
    decisions  TEXT NOT NULL,
    PRIMARY KEY (call_id, seq)
);
