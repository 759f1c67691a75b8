import type { Tx } from "../shared/db/database.js";

export type CertificateRecord = {
  id: string;
  number: string;
  verificationCode: string;
  subscriberId: string;
  issuedAt: Date;
  content: string;
  signature: string;
  keyId: string;
};

export async function insertCertificate(tx: Tx, certificate: CertificateRecord): Promise<void> {
  await tx.certificate.create({ data: certificate });
}

export async function findCertificateOf(
  tx: Tx,
  subscriberId: string,
  id: string,
): Promise<CertificateRecord | undefined> {
  return (await tx.certificate.findFirst({ where: { id, subscriberId } })) ?? undefined;
}

export async function findCertificateByCode(tx: Tx, verificationCode: string): Promise<CertificateRecord | undefined> {
  return (await tx.certificate.findUnique({ where: { verificationCode } })) ?? undefined;
}

export async function listCertificatesOf(tx: Tx, subscriberId: string, limit: number) {
  return tx.certificate.findMany({
    where: { subscriberId },
    orderBy: { issuedAt: "desc" },
    take: limit,
    select: { id: true, number: true, verificationCode: true, issuedAt: true },
  });
}
