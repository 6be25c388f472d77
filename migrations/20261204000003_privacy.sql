-- PDPL data rights: the consents an account gave or withdrew, and accounts erased at
-- their owner's request.

-- Every consent given or withdrawn, kept as a history: the latest row per purpose is
-- the account's standing choice, the earlier ones show when it changed and how.
CREATE TABLE consent_records (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('marketing_sms', 'marketing_email')),
    granted     boolean NOT NULL,
    -- Where the choice was made: the API, the storefront, the registration form.
    source      text NOT NULL CHECK (source IN ('api', 'storefront', 'registration')),
    ip          inet,
    recorded_at timestamptz NOT NULL
);

CREATE INDEX consent_records_user ON consent_records (user_id, purpose, recorded_at DESC, id DESC);

-- An erased account keeps its row (its orders and invoices name it, and tax law keeps
-- those) with nothing personal left in it.
ALTER TABLE users ADD COLUMN erased_at timestamptz;

-- An erased buyer's orders keep no phone.
ALTER TABLE orders ALTER COLUMN shipping_phone DROP NOT NULL;
