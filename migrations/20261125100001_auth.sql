-- Sign-in state: sessions and their refresh tokens, second factors, SMS login codes,
-- and the audit trail of security events.
--
-- Secrets are never stored as given: refresh tokens and challenges as SHA-256 digests
-- (they are long random values), recovery and SMS codes as keyed HMACs (they are short),
-- TOTP secrets and phone numbers sealed with AES-256-GCM under a key id.

-- `phone_hash` (from the accounts migration) is the keyed lookup hash; this is the
-- number itself, sealed, for showing it back and sending codes to it.
ALTER TABLE users
    ADD COLUMN phone_encrypted text,
    ADD CONSTRAINT users_phone_sealed CHECK ((phone_hash IS NULL) = (phone_encrypted IS NULL));

-- A session is one sign-in on one device: the family of refresh tokens that descend
-- from it. Revoking it ends every token of the family at once.
CREATE TABLE auth_sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'password_change', 'admin', 'mfa_change')),
    ip             inet,
    user_agent     text CHECK (length(user_agent) <= 512)
);

CREATE INDEX auth_sessions_user_active ON auth_sessions (user_id) WHERE revoked_at IS NULL;

-- Each refresh is single use: `used_at` marks it spent, and presenting a spent one
-- again means it was copied, so the whole session is revoked.
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- A TOTP authenticator. Unconfirmed until the user proves the app shows the right
-- codes; `last_used_step` refuses a code (or an older one) a second time.
CREATE TABLE user_totp (
    user_id          uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted text NOT NULL,
    confirmed_at     timestamptz,
    last_used_step   bigint,
    created_at       timestamptz NOT NULL
);

CREATE TABLE recovery_codes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    UNIQUE (user_id, code_hash)
);

-- A password (or SMS code) accepted for an account with a second factor: the login
-- finishes only when the second factor is shown within the challenge's lifetime.
CREATE TABLE mfa_challenges (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    method     text NOT NULL CHECK (method IN ('password', 'otp')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    used_at    timestamptz
);

-- SMS login codes, by the phone's lookup hash. Rows also count the codes sent to a
-- number in the last hour, so they are kept until they are older than that.
CREATE TABLE phone_otps (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    phone_hash  bytea NOT NULL,
    code_hash   bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    consumed_at timestamptz
);

CREATE INDEX phone_otps_phone_created ON phone_otps (phone_hash, created_at DESC);

-- Security events. No foreign keys: the trail outlives the accounts it mentions.
-- `details` holds identifiers and reasons, never passwords, tokens or codes.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    event       text NOT NULL,
    actor_id    uuid,
    subject_id  uuid,
    ip          inet,
    user_agent  text CHECK (length(user_agent) <= 512),
    details     jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_recent ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject_id, occurred_at DESC) WHERE subject_id IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (actor_id, occurred_at DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_event ON audit_log (event, occurred_at DESC);
