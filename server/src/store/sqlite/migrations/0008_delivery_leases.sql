-- Several workers take deliveries from one queue: a delivery is held by an
-- owner (a worker's id) until its lease ends, renewed while it is sent; a
-- lease that has run out (its worker died) is taken over by any worker.
-- Nothing is released wholesale at start any more.
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
ALTER TABLE deliveries ADD COLUMN leased_until INTEGER;
-- Held by a process that stopped: its lease has run out.
UPDATE deliveries SET leased_until = 0 WHERE leased = 1;
DROP INDEX deliveries_due;
ALTER TABLE deliveries DROP COLUMN leased;
-- Held deliveries are few (at most the in-flight attempts); the claim skips
-- them while it walks the due ones in order.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
