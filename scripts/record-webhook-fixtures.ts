/**
 * Writes webhooks/<event type>.json: one event of each type Ishtirak handles, as the local
 * Stripe stand-in emits them (Stripe's shapes for API version 2026-10-28), plus one type it
 * does not handle. Run with `npx tsx scripts/record-webhook-fixtures.ts` after changing the
 * stand-in; tests re-sign these bodies, so the files carry no signatures.
 */
import { writeFileSync } from "node:fs";
import { createLocalStripeState } from "../src/payments/local-stripe/state.js";

const fixedNow = 1_764_054_000; // 2025-11-25T07:00:00Z
const stand = createLocalStripeState({
  webhookSecret: "whsec_fixture",
  publicUrl: () => "http://localhost:3001",
  now: () => fixedNow,
});
const metadata = {
  payment_attempt_id: "pat_0199a0c0d0e0f0a0b0c0d0e0f0a0b0c0",
  establishment_id: "est_0199a0c0d0e0f0a0b0c0d0e0f0a0b0c1",
  invoice_id: "inv_0199a0c0d0e0f0a0b0c0d0e0f0a0b0c2",
  invoice_number: "C-202610-100000001",
};
const session = stand.createCheckoutSession({
  amount: 123_456,
  currency: "sar",
  metadata,
  paymentIntentMetadata: metadata,
  successUrl: "http://localhost:3000/payments/return?attempt=pat_0199a0c0d0e0f0a0b0c0d0e0f0a0b0c0",
  cancelUrl: "http://localhost:3000/payments/return?attempt=pat_0199a0c0d0e0f0a0b0c0d0e0f0a0b0c0&cancelled=1",
  productName: "Contributions invoice C-202610-100000001",
});
stand.completeCheckout(session.id, "declined");
stand.completeCheckout(session.id, "succeeded");
const intent = stand.get(session.payment_intent as string, "payment_intent");
stand.createRefund({ payment_intent: intent.id, amount: 10_000 });
const returned = stand.createRefund({ payment_intent: intent.id, amount: 5_000 });
stand.failRefund(returned.id as string);
const dispute = stand.openDispute(intent.latest_charge as string);
stand.closeDispute(dispute.id, "lost");
const slow = stand.createCheckoutSession({
  amount: 50_000,
  currency: "sar",
  metadata,
  paymentIntentMetadata: metadata,
  successUrl: "http://localhost:3000/payments/return",
  cancelUrl: "http://localhost:3000/payments/return",
  productName: "Contributions invoice C-202610-100000001",
});
stand.completeCheckout(slow.id, "async");
stand.settleAsync(slow.id, "failed");
const expiring = stand.createCheckoutSession({
  amount: 50_000,
  currency: "sar",
  metadata,
  paymentIntentMetadata: metadata,
  successUrl: "http://localhost:3000/payments/return",
  cancelUrl: "http://localhost:3000/payments/return",
  productName: "Contributions invoice C-202610-100000001",
});
stand.expireCheckout(expiring.id);
stand.createPayout(100_000);
stand.failPayout(stand.createPayout(40_000).id as string);

const written = new Set<string>();
for (const { event } of stand.emitted) {
  const type = event.type as string;
  if (written.has(type)) continue;
  written.add(type);
  writeFileSync(`webhooks/${type}.json`, `${JSON.stringify(event, null, 2)}\n`);
}
const unknown = {
  id: "evt_1UnknownTypeFixture0001",
  object: "event",
  api_version: "2026-10-28.endive",
  created: fixedNow,
  data: { object: { id: "cus_Fixture0001", object: "customer", email: "payroll@employer.test", metadata: {} } },
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  type: "customer.created",
};
writeFileSync("webhooks/customer.created.json", `${JSON.stringify(unknown, null, 2)}\n`);
console.log([...written, "customer.created"].sort().join("\n"));
