-- The change stream that feeds the search index.
--
-- Triggers write one row per changed listing in the same transaction as the change, so
-- no write path can forget to tell the index. `txid` lets the indexer read the stream
-- without gaps: rows of transactions older than the current snapshot's xmin are final,
-- whereas ordering by `seq` alone would skip a row whose transaction commits late.

CREATE TABLE search_outbox (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    listing_id uuid NOT NULL,
    op         text NOT NULL CHECK (op IN ('upsert', 'delete')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX search_outbox_txid ON search_outbox (txid, seq);
CREATE INDEX search_outbox_created ON search_outbox (created_at);

-- One NOTIFY per statement: PostgreSQL folds identical notifications of a transaction,
-- and the indexer reads what changed from the table, not from the payload.
-- Inserted and updated listings alike: their new state is what the index needs.
CREATE FUNCTION search_outbox_listings_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_outbox (listing_id, op) SELECT id, 'upsert' FROM new_rows;
    PERFORM pg_notify('search_outbox', '');
    RETURN NULL;
END $$;

CREATE FUNCTION search_outbox_listings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_outbox (listing_id, op) SELECT id, 'delete' FROM old_rows;
    PERFORM pg_notify('search_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER listings_outbox_insert AFTER INSERT ON listings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_listings_written();
CREATE TRIGGER listings_outbox_update AFTER UPDATE ON listings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_listings_written();
CREATE TRIGGER listings_outbox_delete AFTER DELETE ON listings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_listings_deleted();

-- A fitment change re-indexes its listing. Fitment rows removed by a listing's own
-- deletion are skipped: the listing's delete row already covers them.
CREATE FUNCTION search_outbox_fitment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_outbox (listing_id, op) SELECT DISTINCT listing_id, 'upsert' FROM new_rows;
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

CREATE TRIGGER listing_fitment_outbox_insert AFTER INSERT ON listing_fitment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_fitment_changed();
CREATE TRIGGER listing_fitment_outbox_update AFTER UPDATE ON listing_fitment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_fitment_changed();
CREATE TRIGGER listing_fitment_outbox_delete AFTER DELETE ON listing_fitment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_fitment_changed();

-- Listings show their seller's name and city, so a seller's rename re-indexes its listings.
CREATE FUNCTION search_outbox_seller_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.name, OLD.city, OLD.status) IS DISTINCT FROM (NEW.name, NEW.city, NEW.status) THEN
        INSERT INTO search_outbox (listing_id, op)
            SELECT id, 'upsert' FROM listings WHERE seller_id = NEW.id;
        PERFORM pg_notify('search_outbox', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sellers_outbox_update AFTER UPDATE ON sellers
    FOR EACH ROW EXECUTE FUNCTION search_outbox_seller_changed();
