-- Instants are Unix seconds (UTC); the configured timezone is applied in code.
CREATE TABLE dossiers (
    id BIGSERIAL PRIMARY KEY,
    receipt_key TEXT NOT NULL UNIQUE,          -- receipt code in upper case, for matching
    receipt_code TEXT NOT NULL,                -- as the case software spells it
    phone TEXT,                                -- usable mobile, national form; NULL when unusable
    phone_raw TEXT NOT NULL DEFAULT '',
    procedure_name TEXT NOT NULL DEFAULT '',
    received_at BIGINT,
    due_at BIGINT,                             -- last second still on time
    same_day BOOLEAN NOT NULL DEFAULT FALSE,
    step TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    updated_at BIGINT,                         -- from the export
    resolved_at BIGINT,                        -- when it last entered the result step
    result_entries INTEGER NOT NULL DEFAULT 0,
    supplement_entries INTEGER NOT NULL DEFAULT 0,
    first_seen_at BIGINT NOT NULL,
    last_synced_at BIGINT NOT NULL
);
CREATE INDEX dossiers_due_at ON dossiers (due_at);
CREATE INDEX dossiers_received_at ON dossiers (received_at);
CREATE INDEX dossiers_resolved_at ON dossiers (resolved_at);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    dossier_id BIGINT REFERENCES dossiers (id),
    kind TEXT NOT NULL,                        -- result | supplement | apology | lookup_reply
    dedupe_key TEXT NOT NULL UNIQUE,           -- one message per event, however often it is queued
    phone TEXT NOT NULL,
    body TEXT NOT NULL,
    segments INTEGER NOT NULL,
    event_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,                       -- queued | sending | sent | dead | expired | interrupted
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_at BIGINT,
    sent_at BIGINT,
    gateway_reply TEXT,
    last_error TEXT,
    finished_at BIGINT
);
CREATE INDEX messages_queue ON messages (state, next_attempt_at);
CREATE INDEX messages_sent_at ON messages (sent_at);
CREATE INDEX messages_finished_at ON messages (finished_at);

CREATE TABLE lookups (
    id BIGSERIAL PRIMARY KEY,
    received_at BIGINT NOT NULL,
    sender TEXT NOT NULL,                      -- masked: 0905***456
    receipt_code TEXT,
    outcome TEXT NOT NULL                      -- found | not_found | bad_syntax | error
);
CREATE INDEX lookups_received_at ON lookups (received_at);
