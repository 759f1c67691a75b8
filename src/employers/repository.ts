import type { Tx } from "../shared/db/database.js";

export type EstablishmentRecord = {
  id: string;
  registrationNumber: number;
  nameAr: string;
  nameEn: string;
  commercialRegistration: string | null;
  unifiedNumber: string | null;
  contactEmail: string;
  contactMobile: string;
  city: string;
  createdAt: Date;
};

export async function insertEstablishmentWithAdmin(
  tx: Tx,
  establishment: Omit<EstablishmentRecord, "registrationNumber">,
  admin: { id: string; email: string; passwordHash: string },
): Promise<EstablishmentRecord> {
  const created = await tx.establishment.create({ data: establishment });
  await tx.establishmentUser.create({
    data: { ...admin, establishmentId: created.id, role: "ESTABLISHMENT_ADMIN", createdAt: establishment.createdAt },
  });
  return created;
}

export async function findEstablishment(tx: Tx, id: string): Promise<EstablishmentRecord | undefined> {
  return (await tx.establishment.findUnique({ where: { id } })) ?? undefined;
}

export async function findEstablishmentUserByEmail(tx: Tx, email: string) {
  return (await tx.establishmentUser.findUnique({ where: { email } })) ?? undefined;
}

export async function findEstablishmentUser(tx: Tx, id: string) {
  return (await tx.establishmentUser.findUnique({ where: { id } })) ?? undefined;
}

export async function insertApiKey(
  tx: Tx,
  key: {
    id: string;
    establishmentId: string;
    name: string;
    displayPrefix: string;
    keyHash: string;
    createdByUserId: string;
    createdAt: Date;
  },
): Promise<void> {
  await tx.establishmentApiKey.create({ data: key });
}

export async function listApiKeys(tx: Tx, establishmentId: string) {
  return tx.establishmentApiKey.findMany({ where: { establishmentId }, orderBy: { createdAt: "asc" } });
}

export async function findLiveApiKeyByHash(tx: Tx, keyHash: string) {
  return (await tx.establishmentApiKey.findFirst({ where: { keyHash, revokedAt: null } })) ?? undefined;
}

/** Records use at most once a minute per key, so a busy payroll system does not write on every call. */
export async function touchApiKey(tx: Tx, id: string, now: Date): Promise<void> {
  const aMinuteAgo = new Date(now.getTime() - 60_000);
  await tx.establishmentApiKey.updateMany({
    where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: aMinuteAgo } }] },
    data: { lastUsedAt: now },
  });
}

/** Revokes a live key of this establishment; false when there is none (unknown, other tenant, revoked). */
export async function revokeApiKey(tx: Tx, establishmentId: string, id: string, now: Date): Promise<boolean> {
  const { count } = await tx.establishmentApiKey.updateMany({
    where: { id, establishmentId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count === 1;
}
