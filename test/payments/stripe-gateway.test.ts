import { describe, expect, it } from "vitest";
import { withoutCallSiteStack } from "../../src/payments/stripe-gateway.js";

describe("a Stripe call without its call-site stack", () => {
  it("records no stack frames for what the call starts synchronously, and restores the limit after", async () => {
    const before = Error.stackTraceLimit;
    let capturedStack: string | undefined;
    const result = await withoutCallSiteStack(async () => {
      capturedStack = new Error("captured").stack;
      return 42;
    });
    expect(result).toBe(42);
    expect(capturedStack).toBe("Error: captured");
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error("after").stack?.split("\n").length).toBeGreaterThan(1);
  });

  it("restores the limit when the call throws before it returns a promise", () => {
    const before = Error.stackTraceLimit;
    expect(() =>
      withoutCallSiteStack(() => {
        throw new Error("refused at once");
      }),
    ).toThrow("refused at once");
    expect(Error.stackTraceLimit).toBe(before);
  });
});
