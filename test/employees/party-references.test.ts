import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * Employments refer to their person and establishment, wages to their employment: checked once
 * per statement by triggers instead of row-by-row foreign keys (see the migration
 * employments_and_wages_checked_per_statement). A statement naming a missing row fails whole, and
 * the rows referred to can be neither deleted nor renumbered.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.prisma.$executeRawUnsafe(`
    INSERT INTO establishments (id, name_ar, name_en, contact_email, contact_mobile, city, created_at)
    VALUES ('est_ref', 'منشأة', 'Establishment', 'ref@employer.test', '+966501234567', 'Riyadh', now()),
           ('est_other', 'منشأة أخرى', 'Another', 'other@employer.test', '+966501234567', 'Riyadh', now())`);
  await database.prisma.$executeRawUnsafe(`
    INSERT INTO subscribers (id, identifier_kind, identifier_number, nationality, name, date_of_birth,
                             first_insured_on, population, created_at)
    VALUES ('sub_ref', 'NATIONAL_ID', '1000000008', 'SAUDI', 'Subscriber', date '1990-01-01', date '2020-01-01',
            'SAUDI_LEGACY', now())`);
}, 120_000);
afterAll(async () => {
  await database?.drop();
});

const employment = (id: string, subscriberId: string, establishmentId: string) =>
  `('${id}', '${subscriberId}', '${establishmentId}', 'Worker', date '2026-01-01', now(), 'test')`;
const insertEmployments = (...rows: string[]) =>
  database.prisma.$executeRawUnsafe(`
    INSERT INTO employments (id, subscriber_id, establishment_id, occupation, start_date, registered_at, registered_by)
    VALUES ${rows.join(", ")}`);
const wage = (id: string, employmentId: string) =>
  `('${id}', '${employmentId}', date '2026-01-01', 5000, 1250, 0, false, false, now(), 'test')`;
const insertWages = (...rows: string[]) =>
  database.prisma.$executeRawUnsafe(`
    INSERT INTO wages (id, employment_id, effective_month, basic, housing, other_allowances, housing_in_kind,
                       is_retroactive_correction, recorded_at, recorded_by)
    VALUES ${rows.join(", ")}`);
const count = async (table: string) =>
  Number((await database.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

describe("employment and wage references", { timeout: 60_000 }, () => {
  it("takes rows that name existing people, establishments and employments", async () => {
    await insertEmployments(employment("emp_ref", "sub_ref", "est_ref"));
    await insertWages(wage("wg_ref", "emp_ref"));
    expect(await count("employments")).toBe(1);
    expect(await count("wages")).toBe(1);
  });

  it("refuses a whole statement when one of its rows names a missing row, and writes nothing", async () => {
    await expect(
      insertEmployments(employment("emp_a", "sub_ref", "est_other"), employment("emp_b", "sub_missing", "est_ref")),
    ).rejects.toThrow(/EMPLOYMENT_WITHOUT_SUBSCRIBER|subscriber sub_missing/);
    await expect(insertEmployments(employment("emp_c", "sub_ref", "est_missing"))).rejects.toThrow(
      /establishment est_missing/,
    );
    await expect(insertWages(wage("wg_a", "emp_ref"), wage("wg_b", "emp_missing"))).rejects.toThrow(
      /employment emp_missing/,
    );
    expect(await count("employments")).toBe(1);
    expect(await count("wages")).toBe(1);
  });

  it("refuses moving an employment or a wage to another row", async () => {
    await expect(
      database.prisma.$executeRawUnsafe(`UPDATE employments SET subscriber_id = 'sub_missing' WHERE id = 'emp_ref'`),
    ).rejects.toThrow(/cannot change/);
    await expect(
      database.prisma.$executeRawUnsafe(`UPDATE wages SET employment_id = 'emp_missing' WHERE id = 'wg_ref'`),
    ).rejects.toThrow(/cannot change/);
    // Other columns still change (ending an employment).
    await database.prisma.$executeRawUnsafe(`UPDATE employments SET end_date = date '2026-06-30' WHERE id = 'emp_ref'`);
    const [row] = await database.prisma.$queryRawUnsafe<{ subscriber_id: string }[]>(
      `SELECT subscriber_id FROM employments WHERE id = 'emp_ref' AND end_date IS NOT NULL`,
    );
    expect(row?.subscriber_id).toBe("sub_ref");
  });

  it("keeps the rows referred to: no delete, no new id", async () => {
    for (const [table, id] of [
      ["subscribers", "sub_ref"],
      ["establishments", "est_ref"],
      ["employments", "emp_ref"],
    ] as const) {
      await expect(database.prisma.$executeRawUnsafe(`DELETE FROM ${table} WHERE id = '${id}'`)).rejects.toThrow(
        /never deleted/,
      );
      await expect(
        database.prisma.$executeRawUnsafe(`UPDATE ${table} SET id = '${id}_renamed' WHERE id = '${id}'`),
      ).rejects.toThrow(/never change/);
    }
    expect(await count("subscribers")).toBe(1);
    expect(await count("establishments")).toBe(2);
    expect(await count("employments")).toBe(1);
  });
});
