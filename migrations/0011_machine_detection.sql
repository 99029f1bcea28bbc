-- Answering-machine detection on campaign attempts (issue 9): the verdict as the results file
-- writes it (human, unknown, machine_start, machine_end_beep, machine_end_silence,
-- machine_end_other), why (short_greeting, long_greeting, too_many_words, beep, ...), and how
-- long after the answer it was decided. NULL when the call was not answered or detection is off.
ALTER TABLE campaign_attempts ADD COLUMN amd TEXT;
ALTER TABLE campaign_attempts ADD COLUMN amd_reason TEXT;
ALTER TABLE campaign_attempts ADD COLUMN amd_ms INTEGER;
