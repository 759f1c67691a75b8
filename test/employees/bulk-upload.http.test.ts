import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmployeeListResponse, UploadReportResponse } from "../../src/employees/schemas.js";
import { CreatedApiKeyResponse } from "../../src/employers/schemas.js";
import { employmentIdsOf, newIdNumber } from "../support/people.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  type TestContext,
} from "../support/test-app.js";

let context: TestContext;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
let apiKey: string;
beforeAll(async () => {
  context = await buildTestApp({ environment: { UPLOAD_LIMIT_BYTES: "200000" } });
  employer = await registerEstablishment(context);
  apiKey = CreatedApiKeyResponse.parse(
    (
      await requestJson(
        context.app,
        "POST",
        `/v1/establishments/${employer.establishment.id}/api-keys`,
        { name: "payroll" },
        bearer(employer.token),
      )
    ).body,
  ).key;
});
afterAll(() => context.close());

const header =
  "idNumber,nationality,gccCountry,name,dateOfBirth,occupation,startDate,basic,housing,otherAllowances,housingInKind,effectiveMonth,correctionReason";
const csvLine = (fields: Partial<Record<string, string>>) =>
  [
    fields.idNumber ?? newIdNumber("IQAMA"),
    fields.nationality ?? "OTHER",
    fields.gccCountry ?? "",
    fields.name ?? '"Kumar, Ravi"',
    fields.dateOfBirth ?? "1990-01-01",
    fields.occupation ?? "Technician",
    fields.startDate ?? "2026-11-01",
    fields.basic ?? "3000.00",
    fields.housing ?? "750.00",
    fields.otherAllowances ?? "0",
    fields.housingInKind ?? "false",
    fields.effectiveMonth ?? "",
    fields.correctionReason ?? "",
  ].join(",");

async function upload(
  body: string,
  options: { contentType?: string; partial?: boolean; key?: string; who?: string } = {},
) {
  const response = await context.app.request(
    `/v1/establishments/${employer.establishment.id}/employees/bulk${options.partial ? "?partial=true" : ""}`,
    {
      method: "POST",
      headers: {
        "content-type": options.contentType ?? "text/csv",
        ...bearer(options.who ?? apiKey),
        ...(options.key ? { "idempotency-key": options.key } : {}),
      },
      body,
    },
  );
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

const countEmployments = () =>
  context.database.prisma.employment.count({ where: { establishmentId: employer.establishment.id } });

describe("bulk upload through the direct link", () => {
  it("registers every row of a CSV in one request, and a re-sent file writes nothing new", async () => {
    const rows = Array.from({ length: 250 }, () => csvLine({}));
    const file = [header, ...rows].join("\n");
    const first = await upload(file);
    expect(first.status).toBe(201);
    expect(UploadReportResponse.parse(first.body)).toMatchObject({
      rowsReceived: 250,
      rowsAccepted: 250,
      rowsRejected: 0,
      subscribersCreated: 250,
      employmentsRegistered: 250,
      wagesRecorded: 0,
    });
    const again = await upload(file);
    expect(again.status).toBe(200);
    expect(UploadReportResponse.parse(again.body)).toMatchObject({
      employmentsRegistered: 0,
      wagesRecorded: 0,
      subscribersCreated: 0,
    });
    const list = EmployeeListResponse.parse(
      (
        await requestJson(
          context.app,
          "GET",
          `/v1/establishments/${employer.establishment.id}/employees?limit=500`,
          undefined,
          bearer(apiKey),
        )
      ).body,
    );
    expect(list.employees.filter((item) => item.name === "Kumar, Ravi")).toHaveLength(250);
    expect(list.employees.find((item) => item.name === "Kumar, Ravi")?.contributoryWage).toBe("3750.00");
  });

  it("updates wages of people already employed, only when they change, marking billed months as corrections", async () => {
    const idNumber = newIdNumber("IQAMA");
    await upload([header, csvLine({ idNumber, startDate: "2026-09-01" })].join("\n"));
    const raise = await upload([header, csvLine({ idNumber, basic: "3500.00", effectiveMonth: "2026-11" })].join("\n"));
    expect(UploadReportResponse.parse(raise.body)).toMatchObject({ wagesRecorded: 1, employmentsRegistered: 0 });
    const retro = await upload(
      [
        header,
        csvLine({ idNumber, basic: "3200.00", effectiveMonth: "2026-10", correctionReason: "October raise" }),
      ].join("\n"),
    );
    expect(UploadReportResponse.parse(retro.body)).toMatchObject({ wagesRecorded: 1 });
    const wages = await context.database.prisma.wage.findMany({
      where: { employmentId: { in: await employmentIdsOf(context.database.prisma, idNumber) } },
      orderBy: { effectiveMonth: "asc" },
      select: { effectiveMonth: true, basic: true, isRetroactiveCorrection: true, correctionReason: true },
    });
    expect(
      wages.map((wage) => [
        wage.effectiveMonth.toISOString().slice(0, 7),
        wage.basic.toString(),
        wage.isRetroactiveCorrection,
        wage.correctionReason,
      ]),
    ).toEqual([
      ["2026-09", "3000", true, "late registration"],
      ["2026-10", "3200", true, "October raise"],
      ["2026-11", "3500", false, null],
    ]);
  });

  it("rejects the whole upload by default, listing every bad row with its line and codes; nothing is written", async () => {
    const duplicate = newIdNumber("IQAMA");
    const before = await countEmployments();
    const file = [
      header,
      csvLine({}),
      csvLine({ idNumber: "1000000000", nationality: "SAUDI" }),
      csvLine({ basic: "-5.00", housing: "1.005" }),
      csvLine({ idNumber: "2000000006", nationality: "SAUDI" }),
      csvLine({ idNumber: duplicate }),
      csvLine({ idNumber: duplicate }),
      csvLine({ startDate: "2024-01-01" }),
    ].join("\n");
    const response = await upload(file);
    const error = expectError({ ...response, headers: response.headers }, 422, "UPLOAD_ROWS_REJECTED");
    const byLine = Object.fromEntries(
      (error.details as unknown as { line: number; errors: { code: string }[] }[]).map((row) => [
        row.line,
        row.errors.map((item) => item.code).sort(),
      ]),
    );
    expect(byLine).toEqual({
      3: ["ID_CHECK_DIGIT_INVALID"],
      4: ["AMOUNT_PRECISION_EXCEEDED", "WAGE_NEGATIVE"],
      5: ["IQAMA_GIVEN_FOR_SAUDI"],
      6: ["DUPLICATE_ROW"],
      7: ["DUPLICATE_ROW"],
      8: ["START_DATE_TOO_FAR_BACK"],
    });
    expect(await countEmployments()).toBe(before);
  });

  it("refuses a CSV whose header misnames, repeats or lacks a column, naming each; nothing is written", async () => {
    const before = await countEmployments();
    // A payroll export that calls the housing allowance something else: without the check its
    // rows would land with no housing, and be billed on the basic wage alone.
    const misnamed = header.replace(",housing,", ",housingAllowance,");
    const refused = expectError(await upload([misnamed, csvLine({})].join("\n")), 400, "VALIDATION_FAILED");
    expect(refused.details).toEqual([{ path: "header", message: 'unknown column "housingAllowance"' }]);
    // No header at all: the first row is read as one, so every required column is missing.
    const headless = expectError(await upload(csvLine({})), 400, "VALIDATION_FAILED");
    expect(headless.details?.map((detail) => detail.message)).toEqual(
      expect.arrayContaining(['column "idNumber" is missing', 'column "basic" is missing']),
    );
    const repeated = expectError(
      await upload([`${header},name`, `${csvLine({})},x`].join("\n")),
      400,
      "VALIDATION_FAILED",
    );
    expect(repeated.details).toEqual([{ path: "header", message: 'column "name" appears twice' }]);
    expect(await countEmployments()).toBe(before);
  });

  it("answers a large CSV with a malformed record near its start at once, and reads no further", async () => {
    const bytes = new TextEncoder().encode(
      `${header}\n${csvLine({})},one too many\n${`${csvLine({})}\n`.repeat(60_000)}`,
    );
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(sent, sent + 65_536));
        sent += 65_536;
      },
    });
    const response = await context.app.request(`/v1/establishments/${employer.establishment.id}/employees/bulk`, {
      method: "POST",
      headers: { "content-type": "text/csv", ...bearer(apiKey) },
      body,
      duplex: "half",
    } as RequestInit);
    const error = expectError(
      { status: response.status, headers: response.headers, body: await response.json() },
      400,
      "VALIDATION_FAILED",
    );
    expect(error.message).toMatch(/Invalid Record Length.*line 2/);
    expect(sent).toBeLessThan(bytes.length / 2);
    // The service goes on: the next upload is taken.
    expect((await upload([header, csvLine({})].join("\n"))).status).toBe(201);
  });

  it("holds each row's texts to the single endpoint's lengths", async () => {
    const response = await upload(
      [header, csvLine({ name: "x".repeat(201), occupation: "y".repeat(201), correctionReason: "z".repeat(501) })].join(
        "\n",
      ),
      { partial: true },
    );
    const report = UploadReportResponse.parse(response.body);
    expect(report.rowsAccepted).toBe(0);
    expect(report.rejected[0]?.errors.map((item) => item.field).sort()).toEqual([
      "correctionReason",
      "name",
      "occupation",
    ]);
  });

  it("with partial=true lands the good rows and lists the rejected ones", async () => {
    const before = await countEmployments();
    const file = [header, csvLine({}), csvLine({ idNumber: "123" }), csvLine({})].join("\n");
    const response = await upload(file, { partial: true });
    expect(response.status).toBe(201);
    const report = UploadReportResponse.parse(response.body);
    expect(report).toMatchObject({ rowsReceived: 3, rowsAccepted: 2, rowsRejected: 1, employmentsRegistered: 2 });
    expect(report.rejected).toEqual([
      { line: 3, idNumber: "123", errors: [expect.objectContaining({ code: "ID_FORMAT_INVALID", field: "idNumber" })] },
    ]);
    expect(await countEmployments()).toBe(before + 2);
  });

  it("reads JSON Lines, reporting unreadable lines and unknown fields", async () => {
    const good = {
      idNumber: newIdNumber("NATIONAL_ID"),
      nationality: "SAUDI",
      name: "Sara",
      dateOfBirth: "1999-09-09",
      occupation: "Engineer",
      startDate: "2026-11-02",
      basic: "12000.00",
      housing: "3000.00",
    };
    const misnamed = { ...good, idNumber: newIdNumber("NATIONAL_ID"), housingAllowance: "3000.00" };
    const body = `${JSON.stringify(good)}\n{not json}\n[1,2]\n${JSON.stringify(misnamed)}\n`;
    const response = await upload(body, { contentType: "application/jsonl", partial: true });
    const report = UploadReportResponse.parse(response.body);
    expect(report).toMatchObject({ rowsReceived: 4, rowsAccepted: 1, employmentsRegistered: 1 });
    expect(report.rejected.map((row) => row.line)).toEqual([2, 3, 4]);
    // A misnamed field is refused, not dropped: its housing would have been billed as nothing.
    expect(report.rejected[2]?.errors).toEqual([
      { code: "VALIDATION_FAILED", field: "housingAllowance", message: 'unknown field "housingAllowance"' },
    ]);
  });

  it("honours Idempotency-Key inside the upload's transaction: a retry replays, a changed file is refused", async () => {
    const file = [header, csvLine({}), csvLine({})].join("\n");
    const first = await upload(file, { key: "november-payroll" });
    const retry = await upload(file, { key: "november-payroll" });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    const changed = await upload([header, csvLine({})].join("\n"), { key: "november-payroll" });
    expectError({ ...changed }, 422, "IDEMPOTENCY_KEY_REUSED");
  });

  it("refuses other media types, bodies over the limit, and other establishments", async () => {
    expectError(await upload("x", { contentType: "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    const big = [header, ...Array.from({ length: 3000 }, () => csvLine({}))].join("\n");
    expectError(await upload(big), 413, "PAYLOAD_TOO_LARGE");
    const other = await registerEstablishment(context);
    expectError(await upload([header, csvLine({})].join("\n"), { who: other.token }), 404, "ESTABLISHMENT_NOT_FOUND");
  });
});
