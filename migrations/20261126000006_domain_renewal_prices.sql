-- The last renewal price CMR quoted for a domain, for the wallet's runway forecast (CMR lists
-- domains without prices; the price comes from /domains/renewal-price, read per customer).
ALTER TABLE index_domains
    ADD COLUMN renewal_price_cents BIGINT,
    ADD COLUMN priced_at TIMESTAMPTZ;
