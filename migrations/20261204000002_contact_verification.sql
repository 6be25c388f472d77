-- Ownership of an email address or a phone number: proven by a link or a code sent to
-- it, and until then not held.
--
-- A registration may name an email or a phone that another, unverified account already
-- names: the unverified one lets it go (see `auth::verification`), so nobody can block a
-- number or an address by registering it first. The unique constraints stay, one
-- holder at a time; what changes is that an unverified holder gives way.
ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN phone_verified_at timestamptz;

-- Accounts that existed before verification have been signing in with what they
-- hold; they keep it, as if verified when they registered.
UPDATE users SET email_verified_at = created_at WHERE email IS NOT NULL;
UPDATE users SET phone_verified_at = created_at WHERE phone_hash IS NOT NULL;

ALTER TABLE users
    ADD CONSTRAINT users_email_verified_needs_email CHECK (email IS NOT NULL OR email_verified_at IS NULL),
    ADD CONSTRAINT users_phone_verified_needs_phone CHECK (phone_hash IS NOT NULL OR phone_verified_at IS NULL);

-- An account that gave its only contact away keeps its row (its orders name it) but has
-- nothing left to sign in with.
ALTER TABLE users DROP CONSTRAINT users_check;

-- A verification sent: a signed link by email (nothing stored opens it) or a six-digit
-- code by SMS (kept as a keyed hash). `contact_hash` is the lookup hash of the address
-- or number it was sent to, so a proof of a contact the account no longer holds proves
-- nothing.
CREATE TABLE contact_verifications (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
    contact_hash bytea NOT NULL,
    code_hash    bytea,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at      timestamptz,
    CHECK ((channel = 'sms') = (code_hash IS NOT NULL))
);

-- The hourly count per account and channel, and the latest open code of an account.
CREATE INDEX contact_verifications_user ON contact_verifications (user_id, channel, created_at DESC);
