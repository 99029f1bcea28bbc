-- One summary row per ended call for the console's analytics (issue 11): what the history search
-- works out per call with correlated look-ups (outcome, transfer reason, highest anger, turns,
-- intents, and the turns' facts analytics counts) kept at hang-up, so a range of calls is one
-- indexed scan. The view computes a call's
-- summary from its rows; triggers refresh the stored row whenever an ended call, its turns, its
-- queue stays or its tickets change, so every writer (the server, a restart's clean-up, the
-- retention job, a script that fills the store directly) keeps it true. The outcome rules are
-- those of src/store/search.rs (OUTCOME_SQL) and docs/console.md.
CREATE VIEW IF NOT EXISTS call_summary_now AS
SELECT c.id AS call_id, c.caller, c.started_at, c.answered_at, c.ended_at, c.hangup_cause,
       c.flow_name,
       CASE
         WHEN c.ended_at IS NULL THEN 'in_progress'
         WHEN EXISTS (SELECT 1 FROM queue_calls q WHERE q.call_id = c.id AND q.outcome = 'abandoned')
              AND NOT EXISTS (SELECT 1 FROM queue_calls q WHERE q.call_id = c.id AND q.answered_at IS NOT NULL)
              THEN 'abandoned'
         WHEN EXISTS (SELECT 1 FROM queue_calls q WHERE q.call_id = c.id)
              OR EXISTS (SELECT 1 FROM tickets k WHERE k.call_id = c.id AND k.kind = 'handoff')
              OR c.hangup_cause LIKE 'referred:%'
              THEN 'transferred'
         WHEN c.hangup_cause LIKE 'bot-%' THEN 'contained'
         WHEN c.hangup_cause = 'caller-bye' THEN 'abandoned'
         ELSE 'failed'
       END AS outcome,
       COALESCE(
         (SELECT k.reason FROM tickets k WHERE k.call_id = c.id AND k.kind = 'handoff'
          ORDER BY k.created_at LIMIT 1),
         CASE WHEN c.hangup_cause LIKE 'referred:%' THEN substr(c.hangup_cause, 10) END
       ) AS transfer_reason,
       (SELECT MAX(t.anger) FROM turns t WHERE t.call_id = c.id) AS max_anger,
       (SELECT COUNT(*) FROM turns t WHERE t.call_id = c.id) AS turns,
       (SELECT COALESCE(group_concat(DISTINCT t.intent), '') FROM turns t WHERE t.call_id = c.id) AS intents,
       (SELECT json_group_array(json_object('node', t.node, 'caller_text', t.caller_text,
                                            'caller_dtmf', t.caller_dtmf, 'intent', t.intent,
                                            'trace', t.trace, 'v2v', t.voice_to_voice_ms))
        FROM (SELECT * FROM turns WHERE call_id = c.id ORDER BY seq) t) AS turn_facts
FROM calls c;

CREATE TABLE IF NOT EXISTS call_summaries (
    call_id          TEXT PRIMARY KEY,
    caller           TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    answered_at      INTEGER,
    ended_at         INTEGER,
    hangup_cause     TEXT,
    flow_name        TEXT,
    outcome          TEXT NOT NULL,
    transfer_reason  TEXT,
    max_anger        REAL,
    turns            INTEGER NOT NULL,
    intents          TEXT NOT NULL,
    -- The turns as analytics reads them, in order: a JSON array of {node, caller_text,
    -- caller_dtmf, intent, trace, v2v}, so a range needs no look-up in `turns`.
    turn_facts       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS call_summaries_started ON call_summaries(started_at);
CREATE INDEX IF NOT EXISTS call_summaries_flow_started ON call_summaries(flow_name, started_at);

-- Backfill: every call that ended before this migration.
INSERT OR REPLACE INTO call_summaries SELECT * FROM call_summary_now WHERE ended_at IS NOT NULL;

CREATE TRIGGER IF NOT EXISTS call_summary_on_call_insert AFTER INSERT ON calls
WHEN NEW.ended_at IS NOT NULL BEGIN
    INSERT OR REPLACE INTO call_summaries SELECT * FROM call_summary_now WHERE call_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_call_update AFTER UPDATE ON calls
WHEN NEW.ended_at IS NOT NULL BEGIN
    INSERT OR REPLACE INTO call_summaries SELECT * FROM call_summary_now WHERE call_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_call_delete AFTER DELETE ON calls BEGIN
    DELETE FROM call_summaries WHERE call_id = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_turn_insert AFTER INSERT ON turns BEGIN
    INSERT OR REPLACE INTO call_summaries
    SELECT * FROM call_summary_now WHERE call_id = NEW.call_id AND ended_at IS NOT NULL;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_turn_update AFTER UPDATE ON turns BEGIN
    INSERT OR REPLACE INTO call_summaries
    SELECT * FROM call_summary_now WHERE call_id = NEW.call_id AND ended_at IS NOT NULL;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_turn_delete AFTER DELETE ON turns BEGIN
    INSERT OR REPLACE INTO call_summaries
    SELECT * FROM call_summary_now WHERE call_id = OLD.call_id AND ended_at IS NOT NULL;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_queue_insert AFTER INSERT ON queue_calls BEGIN
    INSERT OR REPLACE INTO call_summaries
    SELECT * FROM call_summary_now WHERE call_id = NEW.call_id AND ended_at IS NOT NULL;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_queue_update AFTER UPDATE ON queue_calls BEGIN
    INSERT OR REPLACE INTO call_summaries
    SELECT * FROM call_summary_now WHERE call_id = NEW.call_id AND ended_at IS NOT NULL;
END;
CREATE TRIGGER IF NOT EXISTS call_summary_on_ticket_insert AFTER INSERT ON tickets BEGIN
    INSERT OR REPLACE INTO call_summaries
    SELECT * FROM call_summary_now WHERE call_id = NEW.call_id AND ended_at IS NOT NULL;
END;
