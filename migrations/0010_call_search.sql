-- Indexes for the console's history search and analytics (issue 11): calls by flow and time and
-- by caller, turns by intent (the intent filter), handoff tickets by call (a call's transfer reason).
CREATE INDEX IF NOT EXISTS calls_flow_started ON calls(flow_name, started_at);
CREATE INDEX IF NOT EXISTS calls_caller_key ON calls(caller_key, started_at);
CREATE INDEX IF NOT EXISTS turns_intent ON turns(intent, call_id);
CREATE INDEX IF NOT EXISTS tickets_call_kind ON tickets(call_id, kind);
