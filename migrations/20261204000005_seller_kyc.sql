-- Seller verification (KYC, the plan's SAMA section): the commercial registration, the
-- VAT certificate and the bank letter, each reviewed by an administrator. A seller
-- whose three current documents are approved, and whose registration has not expired,
-- is verified.
--
-- The numbers are sealed (AES-256-GCM, bound to the row) with their last four digits
-- kept for display; the files live in the private document store, never under /media.
CREATE TABLE seller_documents (
    id            uuid PRIMARY KEY,
    seller_id     uuid NOT NULL REFERENCES sellers (id),
    type          text NOT NULL CHECK (type IN ('commercial_registration', 'vat_certificate', 'bank_letter')),
    number_sealed text NOT NULL,
    number_last4  text NOT NULL CHECK (number_last4 ~ '^[0-9]{4}$'),
    -- The registration's expiry (commercial registrations only).
    expires_on    date,
    file_key      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/webp')),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    -- A newer upload of the same type supersedes the older one, which is kept.
    status        text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    reason        text CHECK (length(reason) <= 500),
    reviewed_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at   timestamptz,
    uploaded_at   timestamptz NOT NULL,
    CHECK ((type = 'commercial_registration') = (expires_on IS NOT NULL)),
    CHECK (status <> 'rejected' OR reason IS NOT NULL)
);

-- One current document per seller and type.
CREATE UNIQUE INDEX seller_documents_current ON seller_documents (seller_id, type) WHERE status <> 'superseded';
-- The review queue, oldest first.
CREATE INDEX seller_documents_pending ON seller_documents (uploaded_at) WHERE status = 'pending';

-- When the seller became verified (null while not), and its registration's expiry.
ALTER TABLE sellers
    ADD COLUMN verified_at timestamptz,
    ADD COLUMN cr_expires_on date;
