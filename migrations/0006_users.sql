-- Who may use the admin API and the console: people (users, with an Argon2 password hash),
-- machines (API tokens, stored as SHA-256 of the random token), browser sessions (SHA-256 of the
-- session id, with its CSRF token and expiry), and the audit log of who changed what.
CREATE TABLE IF NOT EXISTS users (
    name           TEXT PRIMARY KEY,
    -- admin, supervisor or agent
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS api_tokens (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);

CREATE TABLE IF NOT EXISTS sessions (
    id_sha256   TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_name);

CREATE TABLE IF NOT EXISTS audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    -- who acted: a user or token name, "cli" for the command line, or the name tried
    actor    TEXT NOT NULL,
    -- login, logout, login_failed, login_throttled, agent_state, user_added, user_removed,
    -- token_added, token_revoked
    action   TEXT NOT NULL,
    target   TEXT,
    detail   TEXT,
    address  TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
