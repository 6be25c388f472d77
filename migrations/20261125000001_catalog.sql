-- The catalog: sellers, their listings, the cars each listing fits.

CREATE TABLE sellers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    external_id text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 64),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    city        text NOT NULL,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Part numbers are compared in their compact form: lowercase ASCII letters and digits,
-- Arabic-Indic and Persian digits folded, separators dropped (04152-YZZA1 = 04152yzza1).
CREATE FUNCTION part_number_compact(raw text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(regexp_replace(
        translate(raw, '٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹', '01234567890123456789'),
        '[^0-9A-Za-z]', '', 'g'));

CREATE FUNCTION part_numbers_compact(raw text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT part_number_compact(n) FROM unnest(raw) AS n WHERE part_number_compact(n) <> '');

CREATE TABLE listings (
    id                  uuid PRIMARY KEY,
    seller_id           uuid NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    sku                 text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    title_ar            text CHECK (length(title_ar) <= 300),
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    category            text NOT NULL,
    brand               text,
    condition           text NOT NULL CHECK (condition IN ('new', 'used', 'refurbished')),
    price_sar           numeric(12, 2) NOT NULL CHECK (price_sar > 0),
    quantity            integer NOT NULL CHECK (quantity >= 0),
    city                text NOT NULL,
    photos              text[] NOT NULL DEFAULT '{}',
    oem_numbers         text[] NOT NULL DEFAULT '{}',
    oem_numbers_compact text[] GENERATED ALWAYS AS (part_numbers_compact(oem_numbers)) STORED,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (seller_id, sku)
);

-- Browsing by category and place among active listings, cheapest first.
CREATE INDEX listings_active_browse ON listings (category, city, price_sar) WHERE status = 'active';
-- The seller's own listing pages, newest first.
CREATE INDEX listings_seller_updated ON listings (seller_id, updated_at DESC, id);
-- Exact part-number lookups and interchange.
CREATE INDEX listings_oem_numbers ON listings USING gin (oem_numbers_compact);

CREATE TABLE listing_fitment (
    listing_id uuid NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    position   smallint NOT NULL CHECK (position >= 0),
    make       text NOT NULL,
    model      text NOT NULL,
    year_from  smallint NOT NULL,
    year_to    smallint NOT NULL,
    PRIMARY KEY (listing_id, position),
    CHECK (year_from <= year_to)
);

-- "My garage": parts for a make and model whose year range covers the shopper's year.
CREATE INDEX listing_fitment_vehicle ON listing_fitment (make, model, year_from, year_to);
