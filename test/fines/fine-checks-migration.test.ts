import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPendingMigrations } from "../../src/shared/db/migrations.js";
import { databaseBeforeMigration } from "../support/earlier-migrations.js";
import type { TestDatabase } from "../support/test-database.js";

// The migration that adds the late-fine job's worklist books a first look for the invoices
// issued before it that can still owe a fine. Applied here (with the migrations after it) to a
// database migrated up to the one before, holding one invoice of each kind.
const migrationName = "late_fine_checks";
let earlier: Awaited<ReturnType<typeof databaseBeforeMigration>>;
let database: TestDatabase;

beforeAll(async () => {
  earlier = await databaseBeforeMigration(migrationName);
  database = earlier.database;
}, 120_000);
afterAll(() => earlier?.drop());

describe(`the ${migrationName} migration`, { timeout: 120_000 }, () => {
  it("books a first look for the invoices that can still owe a fine, and only for them", async () => {
    const invoices: [id: string, adjustmentLines: number][] = [
      ["inv_paid_on_time", 0],
      ["inv_paid_late", 0],
      ["inv_unpaid", 0],
      ["inv_refunded", 0],
      ["inv_corrected_paid", 1],
      ["inv_voided", 0],
    ];
    const statements = [
      `INSERT INTO establishments (id, name_ar, name_en, contact_email, contact_mobile, city, created_at)
       VALUES ('est_m', 'منشأة', 'Establishment', 'm@test.example', '+966501234567', 'Riyadh', now())`,
      `INSERT INTO billing_runs (id, month, status, requested_by, created_at, completed_at, updated_at)
       VALUES ('run_m', date '2026-10-01', 'COMPLETED', 'test', now(), now(), now())`,
      ...invoices.map(
        ([id, adjustmentLines], index) =>
          `INSERT INTO invoices (id, number, establishment_id, contribution_month, billing_run_id, issue_date, due_date,
                                annuities_employer, annuities_employee, saned_employer, saned_employee, hazards_employer,
                                adjustment_total, total, contribution_line_count, adjustment_line_count, created_at)
           VALUES ('${id}', 'C-M-${index}', 'est_m', date '2026-10-01' - ${index} * interval '1 month', 'run_m',
                   date '2026-11-01', date '2026-11-15', 900, 900, 75, 75, 200, 0, 2150, 1, ${adjustmentLines}, now())`,
      ),
      `INSERT INTO invoice_settlements (id, invoice_id, source_type, source_id, amount, settled_on, created_at)
       VALUES ('s1', 'inv_paid_on_time', 'ALLOCATION', 'a1', 2150, date '2026-11-12', now()),
              ('s2', 'inv_paid_late', 'ALLOCATION', 'a2', 2150, date '2026-12-10', now()),
              ('s3', 'inv_refunded', 'ALLOCATION', 'a3', 2150, date '2026-11-12', now()),
              ('s4', 'inv_refunded', 'ALLOCATION', 'a4', -2150, date '2026-12-20', now()),
              ('s5', 'inv_corrected_paid', 'ALLOCATION', 'a5', 2150, date '2026-11-12', now())`,
      `INSERT INTO invoice_voids (invoice_id, credit_note_number, reason, voided_at, voided_by)
       VALUES ('inv_voided', 'CN-M-1', 'billed in error', now(), 'staff:test')`,
    ];
    for (const statement of statements) await database.prisma.$executeRawUnsafe(statement);

    const applied = await applyPendingMigrations(database);
    expect(applied[0]).toMatch(new RegExp(`_${migrationName}$`));
    expect(applied).toEqual(earlier.fromThisOn);
    const checks = await database.prisma.$queryRaw<{ invoiceId: string; checkOn: string }[]>`
      SELECT invoice_id AS "invoiceId", to_char(check_on, 'YYYY-MM-DD') AS "checkOn"
        FROM late_fine_checks ORDER BY invoice_id`;
    expect(checks).toEqual([
      { invoiceId: "inv_corrected_paid", checkOn: "2026-11-01" },
      { invoiceId: "inv_paid_late", checkOn: "2026-11-16" },
      { invoiceId: "inv_refunded", checkOn: "2026-11-16" },
      { invoiceId: "inv_unpaid", checkOn: "2026-11-16" },
    ]);
  });
});
