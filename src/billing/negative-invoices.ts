import { credit, debit, type JournalEntryDraft } from "../ledger/journal-entry.js";
import type { BusinessDate } from "../shared/business-date.js";
import { Money } from "../shared/money.js";

/** The ledger key of an invoice's issue entry (spelt out again in SQL by the issuing statement). */
export const invoiceIssuedKey = (invoiceId: string) => `invoice:${invoiceId}:issued`;

/** The ledger key of the entry that moves a negative invoice's credit to the credit balance. */
export const invoiceCreditKey = (invoiceId: string) => `invoice:${invoiceId}:credit`;

/**
 * An invoice whose corrections outweigh what it bills (a negative total: an exit or a lower
 * wage recorded late, nothing much billed for the month itself) owes nothing, and the agency
 * owes the difference back. Left in the receivable, that credit would net against the
 * establishment's other invoices in the ledger while those invoices still looked unpaid and
 * went on being fined. So it moves to the establishment's credit balance, where it is applied
 * like an overpayment: to the open invoices, oldest contribution month first, at once by the
 * run that issued it, or to the next invoice (billing-cycle.md §4).
 */
export function negativeInvoiceCredits(
  issued: readonly { id: string; number: string; establishmentId: string; total: string }[],
  issueDate: BusinessDate,
): JournalEntryDraft[] {
  return issued
    .filter((invoice) => Money.fromDecimal(invoice.total).isNegative())
    .map((invoice) => {
      const owedBack = Money.fromDecimal(invoice.total).negate();
      return {
        idempotencyKey: invoiceCreditKey(invoice.id),
        sourceType: "INVOICE",
        sourceId: invoice.id,
        entryCode: "INVOICE_CREDIT_TO_BALANCE",
        description: `Invoice ${invoice.number} owes nothing: its credit of ${owedBack.toString()} to the credit balance`,
        effectiveDate: issueDate,
        lines: [
          debit("RECEIVABLE_CONTRIBUTIONS", owedBack, invoice.establishmentId),
          credit("UNAPPLIED_PAYMENTS", owedBack, invoice.establishmentId),
        ],
      };
    });
}
