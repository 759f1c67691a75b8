import { generateKeyPairSync } from "node:crypto";
import { expect } from "vitest";
import { createApp } from "../../src/app.js";
import { createAuthService } from "../../src/auth/service.js";
import { signerFromPrivateKey } from "../../src/certificates/signing.js";
import { type Config, LOCAL_STRIPE_WEBHOOK_SECRET, loadConfig } from "../../src/config.js";
import { startLocalStripe } from "../../src/payments/local-stripe/start.js";
import type { Deliver } from "../../src/payments/local-stripe/state.js";
import type { StripeConnection } from "../../src/payments/stripe-gateway.js";
import { FixedClock } from "../../src/shared/clock.js";
import { migrationNames } from "../../src/shared/db/migrations.js";
import { ErrorResponseSchema } from "../../src/shared/http.js";
import { createLogger } from "../../src/shared/logger.js";
import { type CaptchaGenerator, svgCaptchaGenerator } from "../../src/subscribers/captcha.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

export const TEST_NOW = "2026-11-25T09:00:00.000Z";

/** One signing key for every test app of a process. */
export const testCertificateSigner = signerFromPrivateKey(generateKeyPairSync("ed25519").privateKey);

/**
 * Every test captcha reads this text (the picture is still drawn by svg-captcha); storage,
 * expiry and single use are the real ones.
 */
export const TEST_CAPTCHA_ANSWER = "k7Wq3";
const knownTextCaptcha: CaptchaGenerator = async () => ({
  text: TEST_CAPTCHA_ANSWER,
  svg: (await svgCaptchaGenerator()).svg,
});

export type TestContext = {
  app: ReturnType<typeof createApp>;
  database: TestDatabase;
  clock: FixedClock;
  config: Config;
  /** The local Stripe stand-in the app's Stripe client talks to, over HTTP. */
  stripe: Awaited<ReturnType<typeof startLocalStripe>>;
  close(): Promise<void>;
};

/**
 * The real application over a fresh test database and a fixed clock, with its Stripe client
 * pointed at the local stand-in. The stand-in's signed events go into the app's webhook
 * endpoint as they happen, unless `stripeEvents` is "kept" (then they wait in
 * `stripe.local.state.emitted` for the test to deliver).
 */
export async function buildTestApp(
  options: { environment?: Record<string, string>; stripeEvents?: "delivered" | "kept" } = {},
): Promise<TestContext> {
  const database = await createTestDatabase();
  const clock = new FixedClock(TEST_NOW);
  const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", ...options.environment });
  let app: ReturnType<typeof createApp> | undefined;
  const deliver: Deliver = async ({ payload, signature }) => {
    if (!app) throw new Error("the app is not built yet");
    const response = await postStripeEvent(app, payload, signature);
    if (response.status !== 200)
      throw new Error(`webhook answered ${response.status}: ${JSON.stringify(response.body)}`);
  };
  const stripe = await startLocalStripe({
    port: 0,
    webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET,
    deliver: options.stripeEvents === "kept" ? undefined : deliver,
    now: () => Math.floor(clock.now().getTime() / 1000),
  });
  app = createApp({
    db: database.prisma,
    clock,
    config,
    logger: createLogger({ level: config.logLevel }),
    expectedMigrations: await migrationNames(),
    openSnapshot: database.openSnapshot,
    readText: database.readText,
    stripe: stripe.connection,
    certificateSigner: testCertificateSigner,
    captchaGenerator: knownTextCaptcha,
  });
  return {
    app,
    database,
    clock,
    config,
    stripe,
    close: async () => {
      await stripe.close();
      await database.drop();
    },
  };
}

export type { StripeConnection };

export type TestResponse = { status: number; headers: Headers; body: unknown };

/** Sends JSON through the app in-process and returns the status, headers and parsed body. */
export async function requestJson(
  app: TestContext["app"],
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  const response = await app.request(path, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** POSTs a body to the Stripe webhook endpoint as Stripe does, with the signature header when given. */
export async function postStripeEvent(
  app: TestContext["app"],
  payload: string,
  signature: string | undefined,
): Promise<TestResponse> {
  const response = await app.request("/webhooks/stripe", {
    method: "POST",
    headers: { "content-type": "application/json", ...(signature ? { "stripe-signature": signature } : {}) },
    body: payload,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** Asserts the one error shape and returns it parsed. */
export function expectError(response: TestResponse, status: number, code: string) {
  expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { error: { code } } });
  const parsed = ErrorResponseSchema.parse(response.body);
  expect(parsed.error.requestId).toBe(response.headers.get("x-request-id"));
  return parsed.error;
}

let staffSequence = 0;

/** Creates a staff user with the role and signs in through HTTP; returns its bearer token. */
export async function signInStaff(
  context: TestContext,
  role: "AGENCY_ADMIN" | "ACCOUNTANT",
): Promise<{ token: string; email: string }> {
  staffSequence += 1;
  const email = `${role.toLowerCase()}-${staffSequence}-${Math.random().toString(36).slice(2, 8)}@agency.test`;
  const password = "correct horse battery staple";
  await createAuthService({ db: context.database.prisma, clock: context.clock }).createStaffUser({
    email,
    displayName: `Test ${role}`,
    password,
    role,
  });
  const response = await requestJson(context.app, "POST", "/v1/auth/staff/sessions", { email, password });
  if (response.status !== 201) throw new Error(`sign-in failed: ${JSON.stringify(response.body)}`);
  return { token: (response.body as { token: string }).token, email };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

let establishmentSequence = 0;

/** Registers a new establishment through HTTP with unique identifiers; returns it and its admin's token. */
export async function registerEstablishment(context: TestContext, overrides: Record<string, unknown> = {}) {
  establishmentSequence += 1;
  const unique = `${Date.now() % 1_000_000}${establishmentSequence}`.padStart(9, "0").slice(-9);
  const body = {
    nameAr: "مؤسسة الاختبار",
    nameEn: `Test Establishment ${establishmentSequence}`,
    unifiedNumber: `7${unique}`,
    contactEmail: `contact-${unique}@employer.test`,
    contactMobile: "0501234567",
    city: "Riyadh",
    admin: {
      email: `admin-${unique}-${Math.random().toString(36).slice(2, 8)}@employer.test`,
      password: "payroll admin password",
    },
    ...overrides,
  };
  const response = await requestJson(context.app, "POST", "/v1/establishments", body);
  if (response.status !== 201) throw new Error(`registration failed: ${JSON.stringify(response.body)}`);
  const registered = response.body as {
    establishment: { id: string; registrationNumber: string };
    admin: { id: string; email: string };
  };
  const session = await requestJson(context.app, "POST", "/v1/auth/establishment/sessions", {
    email: body.admin.email,
    password: body.admin.password,
  });
  return { ...registered, body, token: (session.body as { token: string }).token };
}

/** Signs an establishment's admin in again (a moved clock ends sessions); returns the new token. */
export async function signInEstablishment(
  context: TestContext,
  employer: { body: { admin: { email: string; password: string } } },
): Promise<string> {
  const session = await requestJson(context.app, "POST", "/v1/auth/establishment/sessions", employer.body.admin);
  if (session.status !== 201) throw new Error(`sign-in failed: ${JSON.stringify(session.body)}`);
  return (session.body as { token: string }).token;
}

/**
 * Moves the clock and signs everyone in again (a jump of weeks ends every session): a new agency
 * admin and accountant, whose tokens are returned, and each employer's admin, whose token is
 * replaced in place.
 */
export async function moveClockAndSignIn(
  context: TestContext,
  instant: string,
  employers: { token: string; body: { admin: { email: string; password: string } } }[],
): Promise<{ admin: string; accountant: string }> {
  context.clock.set(instant);
  const admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  const accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  for (const employer of employers) employer.token = await signInEstablishment(context, employer);
  return { admin, accountant };
}
