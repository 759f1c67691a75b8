import { execFile } from "node:child_process";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { CertificateSummary, VerificationResponse } from "../../src/certificates/schemas.js";
import { type CertificateSigner, signerFromPrivateKey } from "../../src/certificates/signing.js";
import { createLogger } from "../../src/shared/logger.js";
import { hire } from "../support/billing.js";
import { registerSubscriber } from "../support/subscribers.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  type TestContext,
  testCertificateSigner,
} from "../support/test-app.js";

const run = promisify(execFile);
let context: TestContext;
let holder: Awaited<ReturnType<typeof registerSubscriber>>;
let stranger: Awaited<ReturnType<typeof registerSubscriber>>;
let employers: Awaited<ReturnType<typeof registerEstablishment>>[];

beforeAll(async () => {
  context = await buildTestApp();
  employers = [
    await registerEstablishment(context, { nameAr: "شركة الرياض للتجارة", nameEn: "Riyadh Trading Co" }),
    await registerEstablishment(context, { nameAr: "مصنع جدة", nameEn: "Jeddah Factory" }),
  ];
  const [first, second] = employers as [(typeof employers)[0], (typeof employers)[0]];
  const { idNumber, subscriberId } = await hire(context, first, { startDate: "2025-03-15", basic: "9000.00" });
  const ended = await requestJson(
    context.app,
    "POST",
    `/v1/establishments/${first.establishment.id}/employees/${subscriberId}/end`,
    { endDate: "2026-06-30", reason: "RESIGNATION" },
    bearer(first.token),
  );
  expect(ended.status).toBe(200);
  await hire(context, second, { startDate: "2026-07-01", basic: "12000.00", idNumber });
  holder = await registerSubscriber(context, { idNumber });
  const { idNumber: strangerId } = await hire(context, second, { startDate: "2026-07-01", basic: "5000.00" });
  stranger = await registerSubscriber(context, { idNumber: strangerId });
});
afterAll(() => context.close());

async function issue(token = holder.token, body: unknown = { purpose: "Bank loan", addressee: "Al Rajhi Bank" }) {
  const response = await requestJson(context.app, "POST", "/v1/subscribers/me/certificates", body, bearer(token));
  expect(response.status).toBe(201);
  return CertificateSummary.parse(response.body);
}
const verify = (code: string, idNumber: string) =>
  requestJson(context.app, "GET", `/verify/${encodeURIComponent(code)}?idNumber=${idNumber}`);
const pdfOf = (certificateId: string, token = holder.token) =>
  context.app.request(`/v1/subscribers/me/certificates/${certificateId}/pdf`, { headers: bearer(token) });

describe("the certificate of contribution periods and wages", () => {
  it("is issued with a number and a verification code, and listed", async () => {
    const certificate = await issue();
    expect(certificate.number).toMatch(/^SC-20261125-\d{8}$/);
    expect(certificate.verificationCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(certificate.verificationUrl).toMatch(new RegExp(`/verify/${certificate.verificationCode}$`));
    const list = await requestJson(
      context.app,
      "GET",
      "/v1/subscribers/me/certificates",
      undefined,
      bearer(holder.token),
    );
    expect((list.body as { certificates: { id: string }[] }).certificates.map((entry) => entry.id)).toContain(
      certificate.id,
    );
  });

  it("verifies publicly with the holder's ID number, showing exactly what it holds", async () => {
    const certificate = await issue();
    const response = await verify(certificate.verificationCode.toLowerCase().replaceAll("-", ""), holder.idNumber);
    expect(response.status).toBe(200);
    const verification = VerificationResponse.parse(response.body);
    expect(verification).toMatchObject({ genuine: true, number: certificate.number });
    expect(verification.certificate).toMatchObject({
      purpose: "Bank loan",
      addressee: "Al Rajhi Bank",
      holder: { idNumber: holder.idNumber, dateOfBirth: "1990-05-05", contributionSystem: "SAUDI_LEGACY" },
      periods: [
        {
          establishment: { nameEn: "Jeddah Factory" },
          startDate: "2026-07-01",
          endDate: null,
          wages: [{ effectiveMonth: "2026-07", contributoryWage: "12000.00" }],
          branches: ["ANNUITIES", "SANED", "OCCUPATIONAL_HAZARDS"],
          fullMonths: 4,
          partMonthDays: 25,
        },
        {
          establishment: { nameEn: "Riyadh Trading Co" },
          startDate: "2025-03-15",
          endDate: "2026-06-30",
          fullMonths: 15,
          partMonthDays: 17,
        },
      ],
      totals: { insuredMonths: 21, periods: 2 },
    });
    // Nothing beyond the certificate: no mobile, email, payment status.
    expect(JSON.stringify(verification)).not.toContain(holder.email);
    expect(JSON.stringify(verification)).not.toMatch(/status|mobile/i);
  });

  it("answers CERTIFICATE_NOT_FOUND for a wrong ID number or an unknown code, alike", async () => {
    const certificate = await issue();
    expectError(await verify(certificate.verificationCode, stranger.idNumber), 404, "CERTIFICATE_NOT_FOUND");
    expectError(await verify("ZZZZ-ZZZZ-ZZZZ", holder.idNumber), 404, "CERTIFICATE_NOT_FOUND");
    expectError(await verify(certificate.verificationCode, "1000000000"), 400, "ID_CHECK_DIGIT_INVALID");
  });

  it("reports a certificate whose stored content was altered as not genuine, and shows none of it", async () => {
    const certificate = await issue();
    const prisma = context.database.prisma;
    await prisma.$executeRawUnsafe("ALTER TABLE certificates DISABLE TRIGGER certificates_immutable");
    try {
      await prisma.$executeRaw`
        UPDATE certificates SET content = replace(content, '"insuredMonths":21', '"insuredMonths":99')
         WHERE id = ${certificate.id}`;
    } finally {
      await prisma.$executeRawUnsafe("ALTER TABLE certificates ENABLE TRIGGER certificates_immutable");
    }
    const response = await verify(certificate.verificationCode, holder.idNumber);
    expect(response.body).toEqual({ genuine: false, number: certificate.number });
  });

  it("refuses edits of an issued certificate in the database", async () => {
    const certificate = await issue();
    await expect(
      context.database.prisma.$executeRaw`UPDATE certificates SET content = '{}' WHERE id = ${certificate.id}`,
    ).rejects.toThrow(/immutable/);
  });

  it("is a PDF for its holder only", async () => {
    const certificate = await issue();
    const response = await pdfOf(certificate.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(
      Buffer.from(await response.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    expect((await pdfOf(certificate.id, stranger.token)).status).toBe(404);
    const foreign = await requestJson(
      context.app,
      "GET",
      `/v1/subscribers/${holder.subscriberId}/certificates/${certificate.id}/pdf`,
      undefined,
      bearer(stranger.token),
    );
    expectError(foreign, 404, "SUBSCRIBER_NOT_FOUND");
  });

  it("publishes the public key it signs with", async () => {
    const response = await requestJson(context.app, "GET", "/verify/key");
    expect(response.body).toEqual({
      keyId: testCertificateSigner.keyId,
      algorithm: "Ed25519",
      publicKeyPem: testCertificateSigner.publicKeyPem,
    });
    const keys = await requestJson(context.app, "GET", "/verify/keys");
    expect(keys.body).toEqual({ keys: [{ ...(response.body as object), status: "current" }] });
  });
});

describe("after the signing key is replaced", () => {
  const newKey = generateKeyPairSync("ed25519").privateKey;
  const warnings: string[] = [];
  /** The same database and configuration, another signer, and a log the test reads. */
  const appSigningWith = (certificateSigner: CertificateSigner) =>
    createApp({
      db: context.database.prisma,
      readText: context.database.readText,
      clock: context.clock,
      config: context.config,
      logger: createLogger({ level: "warn", destination: { write: (line: string) => warnings.push(line) } }),
      expectedMigrations: [],
      stripe: context.stripe.connection,
      certificateSigner,
    });
  const verifyWith = (app: ReturnType<typeof createApp>, code: string) =>
    requestJson(app, "GET", `/verify/${code}?idNumber=${holder.idNumber}`);

  it("still verifies certificates signed before, when the old public key is configured as retired", async () => {
    const before = await issue();
    const rotated = appSigningWith(signerFromPrivateKey(newKey, [createPublicKey(testCertificateSigner.publicKeyPem)]));
    const old = await verifyWith(rotated, before.verificationCode);
    expect(old.status).toBe(200);
    expect(VerificationResponse.parse(old.body)).toMatchObject({ genuine: true, number: before.number });

    // New certificates are signed with the new key, and the old process (not knowing it) cannot verify them.
    const issuedAfter = await requestJson(
      rotated,
      "POST",
      "/v1/subscribers/me/certificates",
      { purpose: "Visa" },
      bearer(holder.token),
    );
    expect(issuedAfter.status).toBe(201);
    const after = CertificateSummary.parse(issuedAfter.body);
    expect((await verifyWith(rotated, after.verificationCode)).body).toMatchObject({ genuine: true });
    expect((await verify(after.verificationCode, holder.idNumber)).body).toEqual({
      genuine: false,
      number: after.number,
    });

    const keys = await requestJson(rotated, "GET", "/verify/keys");
    expect(keys.body).toEqual({
      keys: [
        expect.objectContaining({ status: "current", keyId: expect.not.stringMatching(testCertificateSigner.keyId) }),
        {
          keyId: testCertificateSigner.keyId,
          algorithm: "Ed25519",
          publicKeyPem: testCertificateSigner.publicKeyPem,
          status: "retired",
        },
      ],
    });
  });

  it("answers not genuine, and warns the operator, when the old key was not retired into the configuration", async () => {
    const before = await issue();
    warnings.length = 0;
    const forgetful = appSigningWith(signerFromPrivateKey(newKey));
    const response = await verifyWith(forgetful, before.verificationCode);
    expect(response.body).toEqual({ genuine: false, number: before.number });
    expect(warnings.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: "warn",
        certificate: before.number,
        keyId: testCertificateSigner.keyId,
        msg: expect.stringContaining("CERTIFICATE_RETIRED_PUBLIC_KEYS"),
      }),
    ]);
  });
});

/** poppler-utils is installed by .ci/run; without it a developer's `npm test` skips this part. */
const hasPoppler = await run("pdftotext", ["-v"]).then(
  () => true,
  () => false,
);

describe.runIf(hasPoppler || process.env.CI === "true")("the certificate PDF read back with poppler", () => {
  it("holds the Arabic title, the holder, the periods and the right totals", async () => {
    const certificate = await issue();
    const directory = await mkdtemp(join(tmpdir(), "ishtirak-certificate-"));
    try {
      const file = join(directory, "certificate.pdf");
      await writeFile(file, Buffer.from(await (await pdfOf(certificate.id)).arrayBuffer()));
      const { stdout: text } = await run("pdftotext", ["-layout", file, "-"]);
      expect(text).toContain("شهادة بيان مدد وأجور مشترك");
      expect(text).toContain("Certificate of contribution periods and wages");
      expect(text).toContain(certificate.number);
      expect(text).toContain(certificate.verificationCode);
      expect(text).toContain(holder.idNumber);
      expect(text).toContain("2025-03-15 to 2026-06-30, 15 months 17 days");
      expect(text).toContain("2026-07-01 to active, 4 months 25 days");
      expect(text).toContain("12000.00 SAR from 2026-07");
      expect(text).toMatch(/Total contribution months: 21/);
      expect(text).toMatch(/Number of periods: 2/);
      await run("pdftoppm", ["-png", "-r", "40", "-f", "1", "-l", "1", file, join(directory, "page")]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
