-- People who sign in, and the keys sellers' systems use for the inventory sync API.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text UNIQUE CHECK (email = lower(email)),
    phone_hash    bytea UNIQUE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash text,
    role          text NOT NULL DEFAULT 'buyer' CHECK (role IN ('buyer', 'seller', 'admin')),
    seller_id     uuid REFERENCES sellers (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (email IS NOT NULL OR phone_hash IS NOT NULL),
    CHECK (role <> 'seller' OR seller_id IS NOT NULL)
);

-- Keys are shown once and stored only as a SHA-256 digest: they are long random
-- secrets, so a fast digest is enough and keeps every request's lookup cheap.
CREATE TABLE seller_api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller_id    uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    label        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX seller_api_keys_seller ON seller_api_keys (seller_id) WHERE revoked_at IS NULL;
