import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { foreignApiVersion, foreignApiVersionWarner } from "../../src/webhooks/intake.js";
import { stripeFixture } from "../support/payments.js";

const eventIn = (apiVersion: string | null, eventId = "evt_version_test") =>
  ({
    ...(JSON.parse(stripeFixture("customer.created")) as Stripe.Event),
    id: eventId,
    api_version: apiVersion,
  }) as Stripe.Event;

describe("an event rendered in another Stripe API version than the SDK's", () => {
  it("is told apart from one in the SDK's version or in none", () => {
    expect(JSON.parse(stripeFixture("charge.refunded")).api_version).toBe(Stripe.API_VERSION);
    expect(foreignApiVersion(eventIn(Stripe.API_VERSION))).toBeUndefined();
    expect(foreignApiVersion(eventIn(null))).toBeUndefined();
    expect(foreignApiVersion(eventIn("2019-02-19"))).toBe("2019-02-19");
  });

  it("is reported once per version, with the event that first showed it and both versions", () => {
    const warnings: Record<string, string>[] = [];
    const warn = foreignApiVersionWarner((fields) => warnings.push(fields));
    warn(eventIn(Stripe.API_VERSION, "evt_current"));
    warn(eventIn("2019-02-19", "evt_old_1"));
    warn(eventIn("2019-02-19", "evt_old_2"));
    warn(eventIn("2022-11-15", "evt_other"));
    expect(warnings).toEqual([
      {
        code: "STRIPE_API_VERSION_MISMATCH",
        eventId: "evt_old_1",
        eventApiVersion: "2019-02-19",
        sdkApiVersion: Stripe.API_VERSION,
      },
      {
        code: "STRIPE_API_VERSION_MISMATCH",
        eventId: "evt_other",
        eventApiVersion: "2022-11-15",
        sdkApiVersion: Stripe.API_VERSION,
      },
    ]);
  });
});
