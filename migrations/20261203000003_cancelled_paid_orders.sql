-- The payments poller looks every few seconds for paid orders that were cancelled and
-- still owe a refund. Such an order leaves this index when it is refunded (its status
-- moves on), so the look costs what is owed, not the history of every paid order.
CREATE INDEX orders_cancelled_after_payment ON orders (updated_at) WHERE status = 'cancelled' AND paid_at IS NOT NULL;
