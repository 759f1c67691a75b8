-- DropForeignKey
ALTER TABLE "employments" DROP CONSTRAINT "employments_establishment_id_fkey";

-- DropForeignKey
ALTER TABLE "employments" DROP CONSTRAINT "employments_subscriber_id_fkey";

-- DropForeignKey
ALTER TABLE "wages" DROP CONSTRAINT "wages_employment_id_fkey";

-- Written by hand: the three foreign keys above are replaced by one check per statement, as for
-- invoice lines. A bulk upload registers 100,000 employments and their first wages in one
-- statement; the keys probed (and locked) the person, the establishment and the employment once
-- per row: 1.4–1.6 s of a 10 s upload. Each check looks every distinct id the statement wrote up
-- by index, once (LATERAL, so the planner never hashes a whole table for a small statement).
-- The keys also kept a referenced row from being deleted or renumbered; people, establishments
-- and employments are never deleted and never change id, and the triggers at the end refuse
-- both, so no reference can be left dangling (and no concurrent delete can race a check).
CREATE FUNCTION employments_check_parties() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  SELECT touched.subscriber_id INTO missing
    FROM (SELECT DISTINCT subscriber_id FROM written_employments) touched
    LEFT JOIN LATERAL (SELECT true AS found FROM "subscribers" WHERE id = touched.subscriber_id) s ON true
   WHERE s.found IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'employments refer to subscriber %, who does not exist', missing
      USING ERRCODE = '23503', HINT = 'EMPLOYMENT_WITHOUT_SUBSCRIBER';
  END IF;
  SELECT touched.establishment_id INTO missing
    FROM (SELECT DISTINCT establishment_id FROM written_employments) touched
    LEFT JOIN LATERAL (SELECT true AS found FROM "establishments" WHERE id = touched.establishment_id) e ON true
   WHERE e.found IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'employments refer to establishment %, which does not exist', missing
      USING ERRCODE = '23503', HINT = 'EMPLOYMENT_WITHOUT_ESTABLISHMENT';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER employments_reference_parties AFTER INSERT ON "employments"
  REFERENCING NEW TABLE AS written_employments
  FOR EACH STATEMENT EXECUTE FUNCTION employments_check_parties();

-- An employment's person and establishment never change; refusing it keeps the insert check whole.
CREATE FUNCTION employments_keep_parties() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.subscriber_id IS DISTINCT FROM OLD.subscriber_id OR NEW.establishment_id IS DISTINCT FROM OLD.establishment_id THEN
    RAISE EXCEPTION 'an employment''s subscriber and establishment cannot change (employment %)', OLD.id
      USING ERRCODE = '23503', HINT = 'EMPLOYMENT_PARTIES_FIXED';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER employments_parties_fixed BEFORE UPDATE OF subscriber_id, establishment_id ON "employments"
  FOR EACH ROW EXECUTE FUNCTION employments_keep_parties();

CREATE FUNCTION wages_check_employments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  SELECT touched.employment_id INTO missing
    FROM (SELECT DISTINCT employment_id FROM written_wages) touched
    LEFT JOIN LATERAL (SELECT true AS found FROM "employments" WHERE id = touched.employment_id) e ON true
   WHERE e.found IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'wages refer to employment %, which does not exist', missing
      USING ERRCODE = '23503', HINT = 'WAGE_WITHOUT_EMPLOYMENT';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER wages_reference_employments AFTER INSERT ON "wages"
  REFERENCING NEW TABLE AS written_wages
  FOR EACH STATEMENT EXECUTE FUNCTION wages_check_employments();

CREATE FUNCTION wages_keep_employment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.employment_id IS DISTINCT FROM OLD.employment_id THEN
    RAISE EXCEPTION 'a wage''s employment cannot change (wage %)', OLD.id
      USING ERRCODE = '23503', HINT = 'WAGE_EMPLOYMENT_FIXED';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wages_employment_fixed BEFORE UPDATE OF employment_id ON "wages"
  FOR EACH ROW EXECUTE FUNCTION wages_keep_employment();

-- The referenced rows stay: no delete, no new id.
CREATE FUNCTION parties_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never deleted: employments and wages refer to them', TG_TABLE_NAME
    USING ERRCODE = '23503', HINT = 'REFERENCED_ROW_KEPT';
END
$$;

CREATE FUNCTION parties_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id THEN
    RAISE EXCEPTION '% ids never change: employments and wages refer to them (id %)', TG_TABLE_NAME, OLD.id
      USING ERRCODE = '23503', HINT = 'REFERENCED_ROW_KEPT';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER subscribers_never_deleted BEFORE DELETE ON "subscribers"
  FOR EACH STATEMENT EXECUTE FUNCTION parties_never_deleted();
CREATE TRIGGER establishments_never_deleted BEFORE DELETE ON "establishments"
  FOR EACH STATEMENT EXECUTE FUNCTION parties_never_deleted();
CREATE TRIGGER employments_never_deleted BEFORE DELETE ON "employments"
  FOR EACH STATEMENT EXECUTE FUNCTION parties_never_deleted();
CREATE TRIGGER subscribers_keep_id BEFORE UPDATE OF id ON "subscribers"
  FOR EACH ROW EXECUTE FUNCTION parties_keep_id();
CREATE TRIGGER establishments_keep_id BEFORE UPDATE OF id ON "establishments"
  FOR EACH ROW EXECUTE FUNCTION parties_keep_id();
CREATE TRIGGER employments_keep_id BEFORE UPDATE OF id ON "employments"
  FOR EACH ROW EXECUTE FUNCTION parties_keep_id();
