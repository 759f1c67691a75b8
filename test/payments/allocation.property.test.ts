import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Obligation, planSettlementChanges } from "../../src/payments/allocation.js";
import { Money } from "../../src/shared/money.js";

const money = (max: number) => fc.integer({ min: 0, max }).map((halalas) => Money.fromHalalas(BigInt(halalas)));

const obligations = fc
  .array(fc.record({ contributions: money(500_000), fines: money(20_000) }), { minLength: 1, maxLength: 6 })
  .map((items) =>
    items.map(
      (item, index): Obligation => ({
        invoiceId: `inv_${index}`,
        sortKey: `2026-${String(index + 1).padStart(2, "0")}`,
        contributions: item.contributions,
        fines: item.fines,
        settled: Money.zero,
      }),
    ),
  );

/** Applies a plan to the obligations; returns them and the credit balance left. */
function apply(state: Obligation[], unapplied: Money) {
  const changes = planSettlementChanges(unapplied, state);
  const byId = new Map(changes.map((change) => [change.invoiceId, change]));
  const next = state.map((item) => {
    const change = byId.get(item.invoiceId);
    return change ? { ...item, settled: item.settled.plus(change.contributions).plus(change.fines) } : item;
  });
  const moved = Money.sum(changes.map((change) => change.contributions.plus(change.fines)));
  return { state: next, unapplied: unapplied.minus(moved), changes };
}

const owed = (item: Obligation) => item.contributions.plus(item.fines);

describe("planSettlementChanges", () => {
  it("fills contributions oldest first, then fines, never beyond what is owed, keeping the rest as credit", () => {
    fc.assert(
      fc.property(obligations, money(2_000_000), (state, received) => {
        const result = apply(state, received);
        for (const item of result.state) {
          expect(item.settled.isNegative()).toBe(false);
          expect(item.settled.compare(owed(item))).toBeLessThanOrEqual(0);
        }
        const totalOwed = Money.sum(state.map(owed));
        const settled = Money.sum(result.state.map((item) => item.settled));
        expect(settled.toString()).toBe(Money.min(received, totalOwed).toString());
        expect(result.unapplied.toString()).toBe(Money.max(received.minus(totalOwed), Money.zero).toString());
        // A later invoice's contributions get money only once every earlier one's are full.
        const contributionsFilled = result.state.map((item) => Money.min(item.settled, item.contributions));
        contributionsFilled.forEach((filled, index) => {
          if (filled.isPositive()) {
            for (const earlier of result.state.slice(0, index)) {
              expect(Money.min(earlier.settled, earlier.contributions).equals(earlier.contributions)).toBe(true);
            }
          }
        });
      }),
    );
  });

  it("reaches the same settlements for the same net money, whatever the order of receipts and refunds", () => {
    fc.assert(
      fc.property(
        obligations,
        fc.array(fc.integer({ min: -300_000, max: 600_000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        (state, movements, keys) => {
          const play = (amounts: readonly number[]) => {
            let current = { state, unapplied: Money.zero };
            for (const amount of amounts) {
              current = apply(current.state, current.unapplied.plus(Money.fromHalalas(BigInt(amount))));
            }
            return current;
          };
          const shuffled = movements
            .map((amount, index) => ({ amount, key: keys[index] ?? 0 }))
            .sort((a, b) => a.key - b.key)
            .map((item) => item.amount);
          const lump = play([movements.reduce((sum, amount) => sum + amount, 0)]);
          const summary = (result: ReturnType<typeof play>) => ({
            settled: result.state.map((item) => item.settled.toString()),
            unapplied: result.unapplied.toString(),
          });
          expect(summary(play(movements))).toEqual(summary(lump));
          expect(summary(play(shuffled))).toEqual(summary(lump));
        },
      ),
    );
  });

  it("gives back money settled beyond what an invoice owes once a fine is waived", () => {
    const state: Obligation[] = [
      {
        invoiceId: "a",
        sortKey: "2026-09",
        contributions: Money.sar("100.00"),
        fines: Money.zero,
        settled: Money.sar("102.00"),
      },
      { invoiceId: "b", sortKey: "2026-10", contributions: Money.sar("50.00"), fines: Money.zero, settled: Money.zero },
    ];
    const changes = planSettlementChanges(Money.zero, state);
    expect(
      changes.map((change) => [change.invoiceId, change.contributions.toString(), change.fines.toString()]),
    ).toEqual([
      ["a", "0.00", "-2.00"],
      ["b", "2.00", "0.00"],
    ]);
  });
});
