import { openPgliteDatabase } from "../src/shared/db/database.js";
import { applyPendingMigrations } from "../src/shared/db/migrations.js";
import { luhnCheckDigit } from "../src/shared/identifiers.js";
import { startService } from "../test/support/service-process.js";
import { createScratchDatabase, printFigure, serveInProcess, timed } from "./support.js";

const uploadRows = Number(process.env.BENCH_UPLOAD_ROWS ?? 100_000);

/** A payroll file: a quarter Saudis, the rest on iqamas, all Luhn-valid and distinct. */
function payrollCsv(rows: number): string {
  const lines = ["idNumber,nationality,name,dateOfBirth,occupation,startDate,basic,housing,otherAllowances"];
  for (let index = 0; index < rows; index += 1) {
    const isSaudi = index % 4 === 0;
    const nine = `${isSaudi ? "1" : "2"}${String(index + 10_000_000).padStart(8, "0")}`;
    const basic = 1500 + (index % 400) * 50;
    lines.push(
      `${nine}${luhnCheckDigit(nine)},${isSaudi ? "SAUDI" : "OTHER"},Employee ${index},1990-01-01,Worker,2026-11-01,${basic}.00,${Math.floor(basic / 4)}.00,300.00`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function uploadThrough(baseUrl: string, csv: string, label: string): Promise<void> {
  const register = await fetch(`${baseUrl}/v1/establishments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      nameAr: "مؤسسة القياس",
      nameEn: "Benchmark Co",
      unifiedNumber: "7000000001",
      contactEmail: "bench@employer.test",
      contactMobile: "0501234567",
      city: "Riyadh",
      admin: { email: "bench-admin@employer.test", password: "benchmark password" },
    }),
  });
  const { establishment } = (await register.json()) as { establishment: { id: string } };
  const session = await fetch(`${baseUrl}/v1/auth/establishment/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "bench-admin@employer.test", password: "benchmark password" }),
  });
  const { token } = (await session.json()) as { token: string };
  const { result, milliseconds } = await timed(async () => {
    const response = await fetch(`${baseUrl}/v1/establishments/${establishment.id}/employees/bulk`, {
      method: "POST",
      headers: { "content-type": "text/csv", authorization: `Bearer ${token}` },
      body: csv,
    });
    return { status: response.status, report: (await response.json()) as { employmentsRegistered?: number } };
  });
  printFigure(
    "employee upload",
    `${label}: ${uploadRows.toLocaleString("en")} rows, HTTP ${result.status}`,
    `${(milliseconds / 1000).toFixed(2)} s${label.startsWith("PostgreSQL") ? " (target < 10 s)" : ""}`,
  );
  printFigure(
    "employee upload",
    `${label}: throughput`,
    `${Math.round(uploadRows / (milliseconds / 1000)).toLocaleString("en")} rows/s (registered ${result.report.employmentsRegistered})`,
  );
}

export async function benchmarkEmployees(options: { postgres: boolean }): Promise<void> {
  const csv = payrollCsv(uploadRows);
  printFigure("employee upload", "file size", `${(csv.length / 1_048_576).toFixed(1)} MB`);
  if (options.postgres) {
    const scratch = await createScratchDatabase("employees");
    try {
      const service = await startService({ DATABASE_URL: scratch.url, LOG_LEVEL: "warn" }, { entry: "build" });
      try {
        await uploadThrough(service.url, csv, "PostgreSQL");
      } finally {
        await service.stop();
      }
    } finally {
      await scratch.drop();
    }
  }
  const pglite = await openPgliteDatabase();
  await applyPendingMigrations(pglite);
  const server = await serveInProcess(pglite);
  try {
    await uploadThrough(server.baseUrl, csv, "PGlite (in-process)");
  } finally {
    server.close();
    await pglite.close();
  }
}
