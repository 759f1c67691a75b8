import { readFileSync } from "node:fs";
import { TrialBalanceResponse } from "../../src/exports/schemas.js";
import { PaymentAttemptResponse, PaymentListResponse } from "../../src/payments/schemas.js";
import { DrainResponse } from "../../src/webhooks/schemas.js";
import { bearer, requestJson, type TestContext } from "./test-app.js";

type Employer = { establishment: { id: string }; token: string };

/** A Stripe event fixture from webhooks/ as its raw text, under another event id when given. */
export function stripeFixture(type: string, options: { eventId?: string } = {}): string {
  const text = readFileSync(new URL(`../../webhooks/${type}.json`, import.meta.url), "utf8");
  return options.eventId === undefined ? text : text.replace(/"id": "evt_[^"]+"/, `"id": "${options.eventId}"`);
}

export async function startPayment(context: TestContext, employer: Employer, invoiceId: string, body: unknown = {}) {
  const response = await requestJson(
    context.app,
    "POST",
    `/v1/establishments/${employer.establishment.id}/invoices/${invoiceId}/payments`,
    body,
    bearer(employer.token),
  );
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`payment refused: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return PaymentAttemptResponse.parse(response.body);
}

/** Waits for the stand-in's deliveries, then applies every stored event. */
export async function applyStripeEvents(context: TestContext, adminToken: string) {
  await context.stripe.local.state.settled();
  const response = await requestJson(
    context.app,
    "POST",
    "/v1/stripe-events/processing",
    undefined,
    bearer(adminToken),
  );
  if (response.status !== 200) throw new Error(`processing refused: ${JSON.stringify(response.body)}`);
  return DrainResponse.parse(response.body);
}

export async function paymentsOf(context: TestContext, employer: Employer) {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/establishments/${employer.establishment.id}/payments`,
    undefined,
    bearer(employer.token),
  );
  if (response.status !== 200) throw new Error(JSON.stringify(response.body));
  return PaymentListResponse.parse(response.body);
}

/** Every account's balance, and an establishment's own control-account balances, as strings. */
export async function ledgerBalances(context: TestContext, accountantToken: string, establishmentId?: string) {
  const response = await requestJson(
    context.app,
    "GET",
    "/v1/exports/trial-balance",
    undefined,
    bearer(accountantToken),
  );
  const trial = TrialBalanceResponse.parse(response.body);
  const accounts = Object.fromEntries(trial.accounts.map((account) => [account.code, account.balance]));
  const own: Record<string, string> = {};
  if (establishmentId) {
    for (const code of ["RECEIVABLE_CONTRIBUTIONS", "RECEIVABLE_FINES", "UNAPPLIED_PAYMENTS"]) {
      const balance = await requestJson(
        context.app,
        "GET",
        `/v1/ledger/accounts/${code}/balance?establishmentId=${establishmentId}`,
        undefined,
        bearer(accountantToken),
      );
      own[code] = (balance.body as { balance: string }).balance;
    }
  }
  return { accounts, own, totals: trial.totals };
}
