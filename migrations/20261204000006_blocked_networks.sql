-- Abuse control: addresses and networks whose requests are refused on every replica.
-- Each replica keeps the active blocks in memory and reloads them when one changes
-- (the `blocklist.changed` event) and every few seconds besides.
CREATE TABLE blocked_networks (
    id          uuid PRIMARY KEY,
    -- Normalized (host bits cleared): one row per network.
    network     cidr NOT NULL UNIQUE,
    reason      text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL,
    -- A block with an end lifts itself then; without one it stays until removed.
    expires_at  timestamptz CHECK (expires_at IS NULL OR expires_at > created_at)
);
