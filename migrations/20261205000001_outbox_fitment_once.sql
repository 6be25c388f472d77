-- A listing written with its fitment in one transaction (every import and sync batch)
-- got two change-stream rows: the listing's own and its fitment's. One is enough: the
-- indexer reads the listing and its fitment as committed, whichever row brought it.
-- Fitment written alone (no listing row in the transaction) still brings its listing.

CREATE OR REPLACE FUNCTION search_outbox_fitment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- NOT IN over this transaction's rows (found through the txid index) is one
        -- hashed lookup per fitment row, not a scan per row.
        INSERT INTO search_outbox (listing_id, op)
            SELECT DISTINCT listing_id, 'upsert' FROM new_rows
             WHERE listing_id NOT IN (
                   SELECT o.listing_id FROM search_outbox o
                    WHERE o.txid = pg_current_xact_id() AND o.op = 'upsert');
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO search_outbox (listing_id, op)
            SELECT listing_id, 'upsert' FROM new_rows UNION SELECT listing_id, 'upsert' FROM old_rows;
    ELSE
        INSERT INTO search_outbox (listing_id, op)
            SELECT DISTINCT o.listing_id, 'upsert' FROM old_rows o
            WHERE EXISTS (SELECT 1 FROM listings l WHERE l.id = o.listing_id);
    END IF;
    PERFORM pg_notify('search_outbox', '');
    RETURN NULL;
END $$;
