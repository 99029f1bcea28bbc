-- Call detail records and conversation turns.
CREATE TABLE IF NOT EXISTS calls (
    id            TEXT PRIMARY KEY,
    sip_call_id   TEXT NOT NULL,
    direction     TEXT NOT NULL,
    caller        TEXT NOT NULL,
    callee        TEXT NOT NULL,
    source        TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    answered_at   INTEGER,
    ended_at      INTEGER,
    hangup_cause  TEXT,
    codec         TEXT,
    flow_name     TEXT,
    flow_version  TEXT
);
CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at);

CREATE TABLE IF NOT EXISTS turns (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id            TEXT NOT NULL REFERENCES calls(id),
    seq                INTEGER NOT NULL,
    at                 INTEGER NOT NULL,
    node               TEXT,
    caller_text        TEXT,
    caller_dtmf        TEXT,
    asr_confidence     REAL,
    intent             TEXT,
    match_score        REAL,
    bot_text           TEXT,
    endpoint_wait_ms   INTEGER,
    asr_ms             INTEGER,
    match_ms           INTEGER,
    tts_first_ms       INTEGER,
    voice_to_voice_ms  INTEGER
);
CREATE INDEX IF NOT EXISTS turns_call ON turns(call_id, seq);
