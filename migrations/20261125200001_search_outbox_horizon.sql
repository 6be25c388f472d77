-- How far retention has pruned the change stream.
--
-- Outbox rows older than the retention window are deleted. An index whose watermark is
-- not past the newest pruned transaction may have missed a change for good, and must
-- be rebuilt rather than caught up; this single row is how it can tell.

CREATE TABLE search_outbox_horizon (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pruned_through xid8,
    pruned_at      timestamptz
);

INSERT INTO search_outbox_horizon DEFAULT VALUES;
