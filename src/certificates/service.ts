import { randomInt } from "node:crypto";
import type { SubscriberActor } from "../auth/actor.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Logger } from "../shared/logger.js";
import { countHit } from "../shared/throttle.js";
import { ownSubscriberId, type SubscriberInquiries } from "../subscribers/inquiry-service.js";
import { findInsuredPersonById } from "../subscribers/repository.js";
import { parseIdNumber } from "../subscribers/service.js";
import { branchesCovered, type CertificateContent, hijriDate } from "./content.js";
import { renderCertificatePdf } from "./document.js";
import { findCertificateByCode, findCertificateOf, insertCertificate, listCertificatesOf } from "./repository.js";
import type { CertificateSigner } from "./signing.js";

/** Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper survives. */
const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** 12 characters (60 bits) in groups of four: XXXX-XXXX-XXXX. */
export function newVerificationCode(): string {
  const characters = Array.from({ length: 12 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return [0, 4, 8].map((start) => characters.slice(start, start + 4).join("")).join("-");
}

/** As typed: any case, with or without the dashes; O and I/L read as 0 and 1. */
export function normaliseVerificationCode(input: string): string {
  const compact = input.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  return compact.length === 12 ? [0, 4, 8].map((start) => compact.slice(start, start + 4)).join("-") : compact;
}

/** Verification lookups per client per 10 minutes (ASSUMED), so codes cannot be swept. */
export const verificationLimit = { limit: 30, windowMs: 10 * 60 * 1000 } as const;

/**
 * Certificates of contribution periods and wages (portal.md §6): issued on request from the
 * subscriber's records, frozen and signed, printed as a PDF with a QR code pointing at the
 * public verification, which shows what the certificate holds and nothing more.
 */
export function createCertificateService(deps: {
  db: PrismaClient;
  clock: Clock;
  inquiries: SubscriberInquiries;
  signer: CertificateSigner;
  publicBaseUrl: string;
  logger: Logger;
}) {
  const { db, clock, inquiries, signer } = deps;

  const verificationUrl = (code: string) => `${deps.publicBaseUrl.replace(/\/$/, "")}/verify/${code}`;

  function summary(record: { id: string; number: string; verificationCode: string; issuedAt: Date }) {
    return {
      id: record.id,
      number: record.number,
      verificationCode: record.verificationCode,
      issuedAt: record.issuedAt.toISOString(),
      verificationUrl: verificationUrl(record.verificationCode),
    };
  }

  async function issue(
    actor: SubscriberActor,
    subject: string,
    request: { purpose?: string | undefined; addressee?: string | undefined },
  ) {
    const subscriberId = ownSubscriberId(actor, subject);
    const person = await findInsuredPersonById(db, subscriberId);
    if (!person) throw new AppError("SUBSCRIBER_NOT_FOUND", "no subscriber with this id that you may see");
    const [periods, wages] = await Promise.all([inquiries.periodsOf(subscriberId), inquiries.wagesOf(subscriberId)]);
    const issuedAt = clock.now();
    const verificationCode = newVerificationCode();
    const today = BusinessDate.fromInstant(issuedAt);
    const number = `SC-${today.toString().replaceAll("-", "")}-${String(randomInt(0, 100_000_000)).padStart(8, "0")}`;
    const wagesByEmployment = new Map(
      wages.employments.map((employment) => [employment.employmentId, employment.wages]),
    );
    const content: CertificateContent = {
      version: 1,
      number,
      verificationCode,
      issuedAt: issuedAt.toISOString(),
      issuedOnHijri: hijriDate(issuedAt, "en"),
      purpose: request.purpose ?? null,
      addressee: request.addressee ?? null,
      holder: {
        name: person.name,
        idNumber: person.identifierNumber,
        idKind: person.identifierKind,
        nationality: person.nationality,
        dateOfBirth: BusinessDate.fromDateColumn(person.dateOfBirth).toString(),
        contributionSystem: person.population,
      },
      periods: periods.periods.map((period) => ({
        establishment: {
          nameAr: period.establishment.nameAr,
          nameEn: period.establishment.nameEn,
          registrationNumber: period.establishment.registrationNumber,
        },
        startDate: period.startDate,
        endDate: period.endDate,
        // A wage that was later corrected for the same month shows once, as corrected.
        wages: [
          ...new Map(
            (wagesByEmployment.get(period.employmentId) ?? []).map((wage) => [
              wage.effectiveMonth,
              wage.contributoryWage,
            ]),
          ),
        ]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([effectiveMonth, contributoryWage]) => ({ effectiveMonth, contributoryWage })),
        branches: branchesCovered(person.population),
        fullMonths: period.fullMonths,
        partMonthDays: period.partMonthDays,
      })),
      totals: { insuredMonths: periods.totalInsuredMonths, periods: periods.periods.length },
    };
    const text = JSON.stringify(content);
    const record = {
      id: newId("crt"),
      number,
      verificationCode,
      subscriberId,
      issuedAt,
      content: text,
      signature: signer.sign(text),
      keyId: signer.keyId,
    };
    await insertCertificate(db, record);
    return summary(record);
  }

  return {
    issue,

    list: async (actor: SubscriberActor, subject: string) => ({
      certificates: (await listCertificatesOf(db, ownSubscriberId(actor, subject), 100)).map(summary),
    }),

    async pdf(
      actor: SubscriberActor,
      subject: string,
      certificateId: string,
    ): Promise<{ number: string; pdf: Buffer }> {
      const record = await findCertificateOf(db, ownSubscriberId(actor, subject), certificateId);
      if (!record) throw new AppError("CERTIFICATE_NOT_FOUND", "no certificate with this id");
      const content = JSON.parse(record.content) as CertificateContent;
      return {
        number: record.number,
        pdf: await renderCertificatePdf(content, verificationUrl(record.verificationCode)),
      };
    },

    /**
     * The public check: the code and the holder's ID number together, as the portal requires. A
     * wrong ID answers like an unknown code. A certificate whose stored content no longer
     * matches its signature is reported as not genuine, with nothing of its content.
     */
    async verify(code: string, idNumber: string, clientKey: string) {
      const id = parseIdNumber(idNumber);
      await countHit(db, `certificate-verify:${clientKey}`, verificationLimit, clock.now());
      const record = await findCertificateByCode(db, normaliseVerificationCode(code));
      const content = record ? (JSON.parse(record.content) as CertificateContent) : undefined;
      if (!record || !content || content.holder.idNumber !== id.value)
        throw new AppError("CERTIFICATE_NOT_FOUND", "no certificate with this code for this ID number");
      if (!signer.verify(record.content, record.signature, record.keyId)) {
        // A key nobody configured is more likely a rotation that forgot to retire the old key
        // than a forgery: the operator is told, the holder still hears "not genuine".
        if (!signer.knowsKey(record.keyId))
          deps.logger.warn(
            { certificate: record.number, keyId: record.keyId },
            "certificate signed with a key that is neither current nor retired (CERTIFICATE_RETIRED_PUBLIC_KEYS)",
          );
        return { genuine: false as const, number: record.number };
      }
      return { genuine: true as const, number: record.number, certificate: content };
    },

    publicKey: () => ({ keyId: signer.keyId, algorithm: "Ed25519" as const, publicKeyPem: signer.publicKeyPem }),
    publicKeys: () => ({ keys: signer.keys }),
  };
}

export type CertificateService = ReturnType<typeof createCertificateService>;
