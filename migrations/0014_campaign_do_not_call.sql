-- Per-campaign do-not-call lists (issue 9): numbers one campaign may not call, beside the global
-- list of 0008 that no campaign may call. E.164, with when, why and who added them (`cli`,
-- `api`, an import file, or the campaign itself for an opt-out kept on its own list).
CREATE TABLE IF NOT EXISTS campaign_do_not_call (
    campaign  TEXT NOT NULL,
    number    TEXT NOT NULL,
    added_at  INTEGER NOT NULL,
    reason    TEXT NOT NULL DEFAULT '',
    source    TEXT NOT NULL,
    PRIMARY KEY (campaign, number)
);
