import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { toStripeAction } from "../../src/webhooks/translate.js";
import { stripeFixture } from "../support/payments.js";

const fixture = (type: string) => JSON.parse(stripeFixture(type)) as Stripe.Event;

describe("what a refund event asks of Ishtirak", () => {
  it("reads the charge's refunds again when a refund's status moves, whichever of Stripe's events says so", () => {
    const failed = fixture("refund.failed");
    const refund = failed.data.object as Stripe.Refund;
    for (const type of ["refund.failed", "refund.updated", "charge.refund.updated"]) {
      expect(toStripeAction(fixture(type))).toEqual({
        kind: "charge-refunded",
        chargeId: refund.charge,
        paymentIntentId: refund.payment_intent,
      });
    }
    const charge = fixture("charge.refunded").data.object as Stripe.Charge;
    expect(toStripeAction(fixture("charge.refunded"))).toEqual({
      kind: "charge-refunded",
      chargeId: charge.id,
      paymentIntentId: charge.payment_intent,
    });
  });

  it("leaves refund.created alone (charge.refunded says the same) and a refund of no charge", () => {
    expect(toStripeAction(fixture("refund.created"))).toMatchObject({ kind: "nothing" });
    const chargeless = fixture("refund.updated");
    (chargeless.data.object as { charge: string | null }).charge = null;
    expect(toStripeAction(chargeless)).toEqual({
      kind: "nothing",
      reason: `refund ${(chargeless.data.object as Stripe.Refund).id} is of no charge`,
    });
  });
});

describe("what a payout event asks of Ishtirak", () => {
  it("records a paid payout from the event's own object, and a failed one with its code and the event's time", () => {
    const paid = fixture("payout.paid");
    const payout = paid.data.object as Stripe.Payout;
    expect(toStripeAction(paid)).toMatchObject({
      kind: "payout-paid",
      payout: { id: payout.id, currency: "sar", status: "paid" },
    });
    const failed = fixture("payout.failed");
    const returned = failed.data.object as Stripe.Payout;
    const action = toStripeAction(failed);
    expect(action).toMatchObject({
      kind: "payout-failed",
      failure: { payoutId: returned.id, currency: "sar", code: "account_closed", at: new Date(failed.created * 1000) },
    });
    expect(action.kind === "payout-failed" && action.failure.amount.toString()).toBe("400.00");
  });
});
