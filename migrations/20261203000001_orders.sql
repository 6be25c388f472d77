-- Orders: what a buyer bought, from whom, in which state; the idempotency keys that make
-- a retried checkout safe; the domain events other modules act on; tax invoices.
--
-- Money is kept in halalas (bigint): exact, and summed without rounding.

-- A seller with a VAT number issues its own invoices; a Saudi VAT number is 15 digits,
-- beginning and ending with 3. `serial` is the short, stable code of an issuer in
-- invoice numbers (INV-S0012-000045).
ALTER TABLE sellers
    ADD COLUMN vat_number text CHECK (vat_number ~ '^3[0-9]{13}3$'),
    ADD COLUMN serial bigint GENERATED ALWAYS AS IDENTITY UNIQUE;

CREATE SEQUENCE order_number_seq;

CREATE TABLE orders (
    id                 uuid PRIMARY KEY,
    number             text NOT NULL UNIQUE,
    buyer_id           uuid NOT NULL REFERENCES users (id),
    status             text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'completed', 'cancelled',
                                                      'expired', 'refunded', 'partially_refunded')),
    subtotal_halalas   bigint NOT NULL CHECK (subtotal_halalas >= 0),
    vat_halalas        bigint NOT NULL CHECK (vat_halalas >= 0),
    total_halalas      bigint NOT NULL CHECK (total_halalas > 0 AND total_halalas = subtotal_halalas + vat_halalas),
    -- The address as given, less the phone; the phone (E.164) sealed with the field cipher.
    shipping_address   jsonb NOT NULL,
    shipping_phone     text NOT NULL,
    notes              text CHECK (length(notes) <= 1000),
    reserved_until     timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    paid_at            timestamptz,
    closed_at          timestamptz
);

-- The buyer's own orders, newest first.
CREATE INDEX orders_buyer_created ON orders (buyer_id, created_at DESC, id DESC);
-- The expiry sweep reads only unpaid orders, oldest reservation first.
CREATE INDEX orders_reservation_due ON orders (reserved_until) WHERE status = 'pending_payment';

-- One fulfilment group per seller of an order. The seller's name is kept as it was
-- when the order was placed.
CREATE TABLE order_groups (
    id               uuid PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    seller_id        uuid NOT NULL REFERENCES sellers (id),
    seller_name      text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'accepted', 'shipped', 'delivered',
                                                    'cancelled', 'expired', 'refunded')),
    subtotal_halalas bigint NOT NULL CHECK (subtotal_halalas >= 0),
    vat_halalas      bigint NOT NULL CHECK (vat_halalas >= 0),
    total_halalas    bigint NOT NULL CHECK (total_halalas = subtotal_halalas + vat_halalas),
    carrier          text CHECK (length(carrier) BETWEEN 1 AND 100),
    tracking_number  text CHECK (length(tracking_number) BETWEEN 1 AND 100),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    accepted_at      timestamptz,
    shipped_at       timestamptz,
    delivered_at     timestamptz,
    UNIQUE (order_id, seller_id)
);

-- A seller's groups by state, newest first.
CREATE INDEX order_groups_seller ON order_groups (seller_id, status, created_at DESC, id DESC);
CREATE INDEX order_groups_seller_created ON order_groups (seller_id, created_at DESC, id DESC);

-- What was bought, as it was listed then. No foreign key to the listing: the order
-- outlives a listing its seller deletes.
CREATE TABLE order_lines (
    group_id           uuid NOT NULL REFERENCES order_groups (id) ON DELETE CASCADE,
    position           smallint NOT NULL CHECK (position >= 0),
    listing_id         uuid NOT NULL,
    sku                text NOT NULL,
    title              text NOT NULL,
    quantity           integer NOT NULL CHECK (quantity > 0),
    unit_price_halalas bigint NOT NULL CHECK (unit_price_halalas > 0),
    line_total_halalas bigint NOT NULL CHECK (line_total_halalas = unit_price_halalas * quantity),
    vat_halalas        bigint NOT NULL CHECK (vat_halalas >= 0),
    PRIMARY KEY (group_id, position)
);

-- Open orders holding units of a listing.
CREATE INDEX order_lines_listing ON order_lines (listing_id);

-- Units of a listing held by orders not yet shipped. A seller's feed states what it
-- has on hand; what buyers may still order is that less these units, so a seller
-- re-sending its count while orders wait to ship does not sell the same units twice.
-- VOLATILE on purpose: each call reads with a fresh snapshot, so an update that waited
-- for a checkout's row lock counts the lines that checkout committed.
CREATE FUNCTION held_units(listing uuid) RETURNS integer
    LANGUAGE sql VOLATILE PARALLEL SAFE
    RETURN (SELECT coalesce(sum(ol.quantity), 0)::integer
              FROM order_lines ol JOIN order_groups g ON g.id = ol.group_id
             WHERE ol.listing_id = listing AND g.status IN ('pending_payment', 'paid', 'accepted'));

-- The first answer to a request made with an `Idempotency-Key`, kept for replay. The
-- row is written in the transaction that does the work, so a key has an answer if and
-- only if the work was done.
CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL,
    scope        text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    status       smallint NOT NULL,
    body         jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, scope, key)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Domain events (order created, paid, shipped …), written in the transaction of the
-- change they report, for consumers that act on them (notifications, analytics). As
-- with the search outbox, `txid` lets a consumer read without skipping a row whose
-- transaction commits late.
CREATE TABLE event_outbox (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    topic       text NOT NULL CHECK (topic ~ '^[a-z_]+(\.[a-z_]+)+$'),
    subject_id  uuid NOT NULL,
    payload     jsonb NOT NULL,
    occurred_at timestamptz NOT NULL
);

CREATE INDEX event_outbox_txid ON event_outbox (txid, seq);
CREATE INDEX event_outbox_subject ON event_outbox (subject_id, seq);

-- Invoice numbers run per issuer with no gap: the counter row is taken with a row lock
-- in the transaction that issues the invoice, so a rolled-back payment gives its
-- number back.
CREATE TABLE invoice_counters (
    issuer      text PRIMARY KEY,
    last_number bigint NOT NULL CHECK (last_number >= 0)
);

CREATE TABLE invoices (
    id                uuid PRIMARY KEY,
    number            text NOT NULL UNIQUE,
    issuer            text NOT NULL,
    sequence          bigint NOT NULL CHECK (sequence > 0),
    group_id          uuid NOT NULL UNIQUE REFERENCES order_groups (id),
    order_id          uuid NOT NULL REFERENCES orders (id),
    seller_id         uuid NOT NULL REFERENCES sellers (id),
    issuer_name       text NOT NULL,
    issuer_vat_number text NOT NULL CHECK (issuer_vat_number ~ '^3[0-9]{13}3$'),
    issued_at         timestamptz NOT NULL,
    lines             jsonb NOT NULL,
    subtotal_halalas  bigint NOT NULL,
    vat_halalas       bigint NOT NULL,
    total_halalas     bigint NOT NULL CHECK (total_halalas = subtotal_halalas + vat_halalas),
    qr                text NOT NULL,
    UNIQUE (issuer, sequence)
);

CREATE INDEX invoices_order ON invoices (order_id);
