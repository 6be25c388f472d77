-- Account recovery: a password reset asked for by email (a signed link) or by SMS (a
-- six-digit code), single use and short-lived.
--
-- The emailed link is the reset's id signed with the lookup key, so nothing that opens
-- it is stored; an SMS code is kept as a keyed hash, like sign-in codes.
CREATE TABLE password_resets (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel    text NOT NULL CHECK (channel IN ('email', 'sms')),
    code_hash  bytea,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at    timestamptz,
    CHECK ((channel = 'sms') = (code_hash IS NOT NULL))
);

-- The hourly count per account, and the latest open code of an account.
CREATE INDEX password_resets_user ON password_resets (user_id, created_at DESC);

-- A reset ends every session of the account.
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_revoked_reason_check;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_revoked_reason_check
    CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'password_change', 'admin', 'mfa_change', 'password_reset'));
