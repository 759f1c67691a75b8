import { Money } from "../shared/money.js";

/**
 * What an establishment owes on one invoice and what was settled against it so far.
 * `contributions` is the invoice total (an invoice whose adjustments make it negative owes
 * nothing here); `fines` the late fines assessed and not waived.
 */
export type Obligation = {
  invoiceId: string;
  /** Orders invoices: the contribution month, then the invoice number. */
  sortKey: string;
  contributions: Money;
  fines: Money;
  settled: Money;
};

/** A change to one invoice's settlement, split between its contributions and its fines. */
export type SettlementChange = { invoiceId: string; contributions: Money; fines: Money };

type Bucket = { invoiceId: string; part: "contributions" | "fines"; capacity: Money; filled: Money };

/**
 * Moves money between the credit balance (`unapplied`, which a refund can leave negative)
 * and the invoices, so that what is settled is always the same function of the money net
 * received: contributions oldest month first, then fines oldest first (billing-cycle.md §4);
 * a shortfall is taken back in exactly the reverse order, newest fines first. Because the
 * fill order is fixed and releases unwind it from the end, the settlements reached do not
 * depend on the order payments, refunds and lost disputes were learned in: that is what
 * makes webhook processing order-free. Money settled beyond what an invoice still owes (a
 * fine waived after it was paid) comes back to the credit balance first.
 */
export function planSettlementChanges(unapplied: Money, obligations: readonly Obligation[]): SettlementChange[] {
  const ordered = [...obligations].sort((a, b) =>
    a.sortKey === b.sortKey ? (a.invoiceId < b.invoiceId ? -1 : 1) : a.sortKey < b.sortKey ? -1 : 1,
  );
  const contributionBuckets: Bucket[] = [];
  const fineBuckets: Bucket[] = [];
  const changes = new Map<string, SettlementChange>();
  const change = (invoiceId: string, part: Bucket["part"], amount: Money) => {
    const current = changes.get(invoiceId) ?? { invoiceId, contributions: Money.zero, fines: Money.zero };
    current[part] = current[part].plus(amount);
    changes.set(invoiceId, current);
  };

  let available = unapplied;
  for (const obligation of ordered) {
    const contributionCapacity = Money.max(obligation.contributions, Money.zero);
    const fineCapacity = Money.max(obligation.fines, Money.zero);
    const settled = Money.max(obligation.settled, Money.zero);
    const contributionsFilled = Money.min(settled, contributionCapacity);
    const finesSettled = settled.minus(contributionsFilled);
    const excess = Money.max(finesSettled.minus(fineCapacity), Money.zero);
    if (excess.isPositive()) {
      change(obligation.invoiceId, "fines", excess.negate());
      available = available.plus(excess);
    }
    contributionBuckets.push({
      invoiceId: obligation.invoiceId,
      part: "contributions",
      capacity: contributionCapacity,
      filled: contributionsFilled,
    });
    fineBuckets.push({
      invoiceId: obligation.invoiceId,
      part: "fines",
      capacity: fineCapacity,
      filled: finesSettled.minus(excess),
    });
  }

  const fillOrder = [...contributionBuckets, ...fineBuckets];
  if (available.isPositive()) {
    for (const bucket of fillOrder) {
      if (!available.isPositive()) break;
      const moved = Money.min(available, bucket.capacity.minus(bucket.filled));
      if (!moved.isPositive()) continue;
      change(bucket.invoiceId, bucket.part, moved);
      available = available.minus(moved);
    }
  } else if (available.isNegative()) {
    for (const bucket of fillOrder.reverse()) {
      if (!available.isNegative()) break;
      const moved = Money.min(available.negate(), bucket.filled);
      if (!moved.isPositive()) continue;
      change(bucket.invoiceId, bucket.part, moved.negate());
      available = available.plus(moved);
    }
  }
  return [...changes.values()].filter((item) => !item.contributions.isZero() || !item.fines.isZero());
}
