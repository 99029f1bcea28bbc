-- Agents' phone registrations, so a restart finds them: one binding per agent (the SIP user),
-- written on REGISTER and deleted on unregister or expiry. `expires_at` is Unix milliseconds;
-- `call_id` and `cseq` keep RFC 3261's ordering check working across the restart;
-- `secret_tag` (a hash of the account's HA1) changes with the password or the realm, so a
-- binding made with an old password is not restored.
CREATE TABLE IF NOT EXISTS registrations (
    user        TEXT PRIMARY KEY,
    contact     TEXT NOT NULL,
    source      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    call_id     TEXT NOT NULL,
    cseq        INTEGER NOT NULL,
    secret_tag  TEXT NOT NULL
);
