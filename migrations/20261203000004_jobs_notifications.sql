-- Background jobs, the relay's place in the event outbox, and the logs of the messages
-- sent to people.

-- A durable job queue. A worker claims due jobs with `FOR UPDATE SKIP LOCKED` in a
-- short transaction and holds a lease, renewed while it runs; a job whose worker died
-- is claimed again once its lease has run out. `dedupe_key` makes enqueueing
-- idempotent: the event relay may hand the same event over twice, the job exists once.
CREATE TABLE jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind ~ '^[a-z_]+(\.[a-z_]+)*$'),
    payload      jsonb NOT NULL,
    dedupe_key   text UNIQUE CHECK (length(dedupe_key) <= 200),
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL CHECK (max_attempts > 0),
    run_at       timestamptz NOT NULL,
    locked_by    text,
    lease_until  timestamptz,
    last_error   text CHECK (length(last_error) <= 2000),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    CHECK ((status = 'running') = (lease_until IS NOT NULL))
);

-- What workers claim: due queued jobs, and running ones whose lease ran out.
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE status = 'running';
-- Keep-last-N of finished jobs, and the operators' listing, newest first.
CREATE INDEX jobs_finished ON jobs (status, finished_at DESC) WHERE status IN ('succeeded', 'dead');

-- Where a consumer of the event outbox has read up to, shared by every replica: the
-- replica that holds the row's lock relays, the others wait their turn.
CREATE TABLE event_cursors (
    consumer   text PRIMARY KEY,
    txid       xid8 NOT NULL,
    seq        bigint NOT NULL,
    updated_at timestamptz NOT NULL
);

-- The accounts' language for messages: Arabic unless they chose English.
ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'ar' CHECK (locale IN ('ar', 'en'));

-- Every text message sent or tried. The body is cut short and never holds a code;
-- the recipient is masked (the full number is sealed on the account or the order).
CREATE TABLE sms_log (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose             text NOT NULL,
    -- The notification it delivers, when it comes from one: sent once.
    notification_key    text UNIQUE,
    user_id             uuid REFERENCES users (id) ON DELETE SET NULL,
    recipient_masked    text NOT NULL,
    body_excerpt        text NOT NULL CHECK (length(body_excerpt) <= 80),
    status              text NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'logged')),
    units               integer,
    cost                numeric(12, 5),
    provider_message_id text,
    error               text CHECK (length(error) <= 500),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE INDEX sms_log_user ON sms_log (user_id, created_at DESC);

-- Every email sent or tried, with SendGrid's `X-Message-Id`.
CREATE TABLE email_log (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose             text NOT NULL,
    notification_key    text UNIQUE,
    user_id             uuid REFERENCES users (id) ON DELETE SET NULL,
    recipient_masked    text NOT NULL,
    subject             text NOT NULL,
    status              text NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'logged')),
    provider_message_id text,
    error               text CHECK (length(error) <= 500),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE INDEX email_log_user ON email_log (user_id, created_at DESC);

-- The relay starts at the events committed from now on: orders placed before it
-- existed are not notified again.
INSERT INTO event_cursors (consumer, txid, seq, updated_at)
VALUES ('relay', pg_snapshot_xmin(pg_current_snapshot()), 0, now());
