-- Written by hand (no schema change): a statement that stores new Stripe events announces them on
-- the channel "stripe_events_stored" (NOTIFY, delivered when it commits), so processes that apply
-- events start at once even when another process took the deliveries (WEBHOOK_APPLY_ON_RECEIPT=
-- false, the Cloudflare Worker entry) instead of waiting for their next sweep. Once per statement,
-- and only when it inserted a row: a burst of deliveries is one notification, a duplicate none.
-- The payload names the table's schema, for databases that hold several (the tests' schemas).
CREATE FUNCTION stripe_events_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM stored_events) THEN
    PERFORM pg_notify('stripe_events_stored', TG_TABLE_SCHEMA);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER stripe_events_announced AFTER INSERT ON "stripe_events"
  REFERENCING NEW TABLE AS stored_events
  FOR EACH STATEMENT EXECUTE FUNCTION stripe_events_announce();
