-- Photos sellers upload for their listings. The original is kept as uploaded; a job
-- makes the sizes shoppers see (thumbnail, card, full) and stores their URLs here.
-- Every change re-indexes the listing, so search results show a photo once it is ready.

CREATE TABLE listing_photos (
    id            uuid PRIMARY KEY,
    listing_id    uuid NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    -- Shown in this order, after the upload order.
    position      integer NOT NULL CHECK (position >= 0),
    status        text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    -- The stored original: its key in the media store, the format sniffed from its
    -- bytes, its size.
    original_key  text NOT NULL,
    format        text NOT NULL CHECK (format IN ('jpeg', 'png', 'webp')),
    width         integer NOT NULL CHECK (width > 0),
    height        integer NOT NULL CHECK (height > 0),
    bytes         integer NOT NULL CHECK (bytes > 0),
    -- {"thumbnail": url, "card": url, "full": url} once ready.
    sizes         jsonb,
    error         text CHECK (length(error) <= 500),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK ((status = 'ready') = (sizes IS NOT NULL)),
    UNIQUE (listing_id, position)
);

CREATE FUNCTION search_outbox_photos_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_outbox (listing_id, op) SELECT DISTINCT listing_id, 'upsert' FROM new_rows;
    PERFORM pg_notify('search_outbox', '');
    RETURN NULL;
END $$;

-- Only a photo becoming ready (or its sizes changing) shows in search.
CREATE TRIGGER listing_photos_outbox_update AFTER UPDATE ON listing_photos
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_photos_changed();
