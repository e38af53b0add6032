-- Leases are counted on the database's clock, in milliseconds (they were
-- whole seconds of the server's clock): renewals can come a fraction of a
-- lease apart, and a lease held a fraction of a second longer is not taken
-- over early.
UPDATE deliveries SET leased_until = leased_until * 1000 WHERE leased_until IS NOT NULL;
