import type { EstablishmentActor, StaffActor } from "../auth/actor.js";
import type { EmployerService } from "../employers/service.js";
import { listFines } from "../fines/repository.js";
import { reverseJournalEntry } from "../ledger/service.js";
import { rebalance } from "../payments/record.js";
import { lockEstablishment } from "../payments/repository.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { ContributionMonth } from "../shared/contribution-month.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { presentInvoice, presentInvoiceLine } from "./presentation.js";
import {
  establishmentOfInvoice,
  findInvoice,
  type InvoiceStatus,
  invoiceLinesPage,
  listInvoices,
  lockInvoiceForVoid,
} from "./repository.js";

export const invoicePageSizeMax = 100;
export const invoiceLinePageSizeMax = 1_000;
/** Lines read per query while a document streams. */
const documentPageSize = 1_000;

export function createInvoiceService(deps: { db: PrismaClient; clock: Clock; employers: EmployerService }) {
  const { db, clock, employers } = deps;
  const today = () => BusinessDate.fromInstant(clock.now());

  async function invoiceOf(actor: EstablishmentActor, establishmentId: string, invoiceId: string) {
    await employers.establishmentOf(actor, establishmentId);
    const invoice = await findInvoice(db, establishmentId, invoiceId, today());
    if (!invoice) throw new AppError("INVOICE_NOT_FOUND", `no invoice ${invoiceId} for this establishment`);
    return invoice;
  }

  return {
    /**
     * Cancels an invoice with a credit note (agency admins): the invoice's journal entry is
     * reversed, its lines stop counting as billed, and the next run bills what those months
     * really owe as adjustment lines. Only an invoice nothing was paid against and whose fines
     * are waived can be voided; the invoice row itself never changes.
     */
    async voidInvoice(actor: StaffActor, invoiceId: string, reason: string) {
      const now = clock.now();
      return db.$transaction(async (tx) => {
        // The establishment's lock before the invoice's, in the order payments take them.
        const establishmentId = await establishmentOfInvoice(tx, invoiceId);
        if (!establishmentId) throw new AppError("INVOICE_NOT_FOUND", `no invoice ${invoiceId}`);
        await lockEstablishment(tx, establishmentId);
        const invoice = await lockInvoiceForVoid(tx, invoiceId);
        if (!invoice) throw new AppError("INVOICE_NOT_FOUND", `no invoice ${invoiceId}`);
        if (invoice.isVoid) throw new AppError("INVOICE_ALREADY_VOID", `invoice ${invoice.number} was voided already`);
        if (invoice.settlements > 0) {
          throw new AppError(
            "INVOICE_HAS_SETTLEMENTS",
            `money was applied to ${invoice.number}: refund or move it first`,
          );
        }
        if (invoice.finesNotWaived > 0) {
          throw new AppError("INVOICE_HAS_FINES", `waive the late fines on ${invoice.number} first`);
        }
        const creditNoteNumber = `CN-${invoice.number}`;
        const voidedOn = BusinessDate.fromInstant(now);
        const reversal = invoice.entryId
          ? await reverseJournalEntry(tx, invoice.entryId, {
              effectiveDate: voidedOn,
              reason: `Credit note ${creditNoteNumber} voids invoice ${invoice.number}: ${reason}`,
            })
          : undefined;
        // A negative invoice's credit went to the credit balance: it goes with the invoice, and
        // what it had settled elsewhere is taken back, newest first, as after a refund.
        if (invoice.creditEntryId) {
          await reverseJournalEntry(tx, invoice.creditEntryId, {
            effectiveDate: voidedOn,
            reason: `Credit note ${creditNoteNumber} voids invoice ${invoice.number}, whose credit it withdraws`,
          });
          await rebalance(tx, establishmentId, { cause: "INVOICE_VOID", causeId: invoice.id, on: voidedOn }, now);
        }
        return tx.invoiceVoid.create({
          data: {
            invoiceId: invoice.id,
            creditNoteNumber,
            reason,
            voidedAt: now,
            voidedBy: `staff:${actor.staffUserId}`,
            reversalEntryId: reversal?.entryId ?? null,
          },
        });
      });
    },

    async listInvoices(
      actor: EstablishmentActor,
      establishmentId: string,
      query: {
        month?: ContributionMonth | undefined;
        status?: InvoiceStatus | undefined;
        cursor?: string | undefined;
        limit: number;
      },
    ) {
      await employers.establishmentOf(actor, establishmentId);
      const limit = Math.min(query.limit, invoicePageSizeMax);
      const rows = await listInvoices(db, {
        establishmentId,
        today: today(),
        month: query.month,
        status: query.status,
        afterInvoiceId: query.cursor,
        limit: limit + 1,
      });
      const items = rows.slice(0, limit);
      return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
    },

    async getInvoice(actor: EstablishmentActor, establishmentId: string, invoiceId: string) {
      const invoice = await invoiceOf(actor, establishmentId, invoiceId);
      return { invoice, fines: await listFines(db, { invoiceId: invoice.id }, "oldest first") };
    },

    /** What the printable invoice shows; the lines are read a page at a time as it is written. */
    async invoiceDocument(actor: EstablishmentActor, establishmentId: string, invoiceId: string) {
      const establishment = await employers.establishmentOf(actor, establishmentId);
      const invoice = await invoiceOf(actor, establishmentId, invoiceId);
      async function* linePages(): AsyncGenerator<ReturnType<typeof presentInvoiceLine>[]> {
        let after = 0;
        for (;;) {
          const rows = await invoiceLinesPage(db, invoice.id, after, documentPageSize);
          if (rows.length > 0) yield rows.map(presentInvoiceLine);
          const last = rows.at(-1);
          if (!last || rows.length < documentPageSize) return;
          after = last.lineNumber;
        }
      }
      return { establishment, invoice: presentInvoice(invoice), linePages: linePages() };
    },

    async invoiceLines(
      actor: EstablishmentActor,
      establishmentId: string,
      invoiceId: string,
      query: { cursor?: number | undefined; limit: number },
    ) {
      const invoice = await invoiceOf(actor, establishmentId, invoiceId);
      const limit = Math.min(query.limit, invoiceLinePageSizeMax);
      const rows = await invoiceLinesPage(db, invoice.id, query.cursor ?? 0, limit + 1);
      const items = rows.slice(0, limit);
      return { invoice, items, nextCursor: rows.length > limit ? (items.at(-1)?.lineNumber ?? null) : null };
    },
  };
}

export type InvoiceService = ReturnType<typeof createInvoiceService>;
