-- Payments: attempts to pay an order through a provider, their refunds, the
-- append-only audit of every state change, the transaction-monitoring review queue,
-- and the sandbox provider's own checkouts.

-- One attempt to pay one order. Of a card only what identifies it to a person is
-- kept: brand, BIN and last four digits.
CREATE TABLE payments (
    id                  uuid PRIMARY KEY,
    order_id            uuid NOT NULL REFERENCES orders (id),
    buyer_id            uuid NOT NULL REFERENCES users (id),
    provider            text NOT NULL CHECK (provider IN ('hyperpay', 'tap', 'sandbox')),
    method              text NOT NULL CHECK (method IN ('mada', 'card', 'applepay', 'tap')),
    status              text NOT NULL CHECK (status IN ('initiated', 'pending', 'paid', 'failed', 'mismatched',
                                                        'refunded', 'partially_refunded')),
    amount_halalas      bigint NOT NULL CHECK (amount_halalas > 0),
    currency            text NOT NULL DEFAULT 'SAR',
    -- The provider's checkout (HyperPay) or charge (Tap) id: what the status query names.
    checkout_id         text,
    -- The provider's id of the payment made, which refunds name.
    provider_payment_id text,
    brand               text CHECK (length(brand) <= 32),
    card_bin            text CHECK (card_bin ~ '^[0-9]{6,8}$'),
    card_last4          text CHECK (card_last4 ~ '^[0-9]{4}$'),
    result_code         text CHECK (length(result_code) <= 64),
    result_description  text CHECK (length(result_description) <= 255),
    -- Whether this payment is the one that paid the order (refunds of it move the order).
    settled_order       boolean NOT NULL DEFAULT false,
    refunded_halalas    bigint NOT NULL DEFAULT 0 CHECK (refunded_halalas >= 0 AND refunded_halalas <= amount_halalas),
    -- When the poller next asks the provider, and how often it has asked.
    next_poll_at        timestamptz,
    polls               integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE UNIQUE INDEX payments_checkout ON payments (provider, checkout_id) WHERE checkout_id IS NOT NULL;
CREATE INDEX payments_order ON payments (order_id, created_at);
-- Transaction monitoring counts a buyer's attempts of the last hour.
CREATE INDEX payments_buyer_recent ON payments (buyer_id, created_at);
-- The poller reads only payments still waiting for the provider's word.
CREATE INDEX payments_poll_due ON payments (next_poll_at) WHERE status IN ('initiated', 'pending');
-- At most one payment pays an order.
CREATE UNIQUE INDEX payments_one_settles ON payments (order_id) WHERE settled_order;

CREATE TABLE payment_refunds (
    id                 uuid PRIMARY KEY,
    payment_id         uuid NOT NULL REFERENCES payments (id),
    amount_halalas     bigint NOT NULL CHECK (amount_halalas > 0),
    reason             text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    status             text NOT NULL CHECK (status IN ('refund_pending', 'refunded', 'failed')),
    provider_refund_id text,
    result_code        text CHECK (length(result_code) <= 64),
    -- `{"kind": "admin", "id": …}`, `{"kind": "system", "reason": "order_cancelled"}`.
    requested_by       jsonb NOT NULL,
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

CREATE INDEX payment_refunds_payment ON payment_refunds (payment_id, created_at);
CREATE INDEX payment_refunds_due ON payment_refunds (next_attempt_at) WHERE status = 'refund_pending';

-- Every state change of a payment or refund, never updated nor deleted.
CREATE TABLE payment_audit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    payment_id    uuid NOT NULL REFERENCES payments (id),
    refund_id     uuid REFERENCES payment_refunds (id),
    from_status   text,
    to_status     text NOT NULL,
    -- `buyer:<id>`, `admin:<id>`, `webhook:hyperpay`, `return`, `poller`, …
    actor         text NOT NULL CHECK (length(actor) <= 100),
    provider_code text CHECK (length(provider_code) <= 64),
    request_id    text CHECK (length(request_id) <= 128),
    details       jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX payment_audit_payment ON payment_audit (payment_id, id);

CREATE FUNCTION payment_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payment_audit is append-only';
END;
$$;

CREATE TRIGGER payment_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON payment_audit
    FOR EACH STATEMENT EXECUTE FUNCTION payment_audit_append_only();

-- Transaction monitoring's review queue: one flag per rule and payment.
CREATE TABLE compliance_flags (
    id          uuid PRIMARY KEY,
    rule        text NOT NULL CHECK (rule ~ '^[A-Z_]{3,64}$'),
    payment_id  uuid NOT NULL REFERENCES payments (id),
    order_id    uuid NOT NULL REFERENCES orders (id),
    buyer_id    uuid NOT NULL REFERENCES users (id),
    details     jsonb NOT NULL DEFAULT '{}',
    status      text NOT NULL CHECK (status IN ('open', 'cleared', 'reported')),
    decided_by  uuid REFERENCES users (id),
    decided_at  timestamptz,
    note        text CHECK (length(note) <= 2000),
    created_at  timestamptz NOT NULL,
    UNIQUE (rule, payment_id),
    CHECK ((status = 'open') = (decided_at IS NULL))
);

CREATE INDEX compliance_flags_queue ON compliance_flags (status, created_at, id);

-- The sandbox provider's checkouts: a development payment provider that runs inside
-- the service, so a newcomer can pay without credentials. Production refuses it.
CREATE TABLE sandbox_checkouts (
    id             text PRIMARY KEY,
    reference      text NOT NULL,
    amount_halalas bigint NOT NULL CHECK (amount_halalas > 0),
    brand          text NOT NULL,
    -- Where the sandbox's page sends the shopper when they have decided.
    return_url     text NOT NULL,
    status         text NOT NULL CHECK (status IN ('initiated', 'approved', 'declined')),
    created_at     timestamptz NOT NULL,
    decided_at     timestamptz
);

CREATE TABLE sandbox_refunds (
    id             text PRIMARY KEY,
    checkout_id    text NOT NULL REFERENCES sandbox_checkouts (id),
    amount_halalas bigint NOT NULL CHECK (amount_halalas > 0),
    created_at     timestamptz NOT NULL
);
