-- Copies of an account's data too large to build while the owner waits: built by a
-- job, kept here (never in the public media store) until they expire.
CREATE TABLE data_exports (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status     text NOT NULL CHECK (status IN ('pending', 'ready')),
    document   jsonb,
    created_at timestamptz NOT NULL,
    ready_at   timestamptz,
    expires_at timestamptz NOT NULL,
    CHECK ((status = 'ready') = (document IS NOT NULL))
);

CREATE INDEX data_exports_user ON data_exports (user_id, created_at DESC);
