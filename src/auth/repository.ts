import type { PrincipalType } from "../generated/prisma/enums.js";
import type { Tx } from "../shared/db/database.js";
import type { StaffRole } from "./actor.js";

export type StaffUserRecord = { id: string; email: string; displayName: string; passwordHash: string; role: StaffRole };

export async function insertStaffUser(tx: Tx, user: StaffUserRecord): Promise<void> {
  await tx.staffUser.create({ data: user });
}

export async function findStaffUserByEmail(tx: Tx, email: string): Promise<StaffUserRecord | undefined> {
  return (await tx.staffUser.findUnique({ where: { email } })) ?? undefined;
}

export async function findStaffUserById(tx: Tx, id: string): Promise<StaffUserRecord | undefined> {
  return (await tx.staffUser.findUnique({ where: { id } })) ?? undefined;
}

export async function countStaffUsers(tx: Tx): Promise<number> {
  return tx.staffUser.count();
}

export async function insertSession(
  tx: Tx,
  session: {
    id: string;
    tokenHash: string;
    principalType: PrincipalType;
    principalId: string;
    createdAt: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await tx.session.create({ data: session });
}

export async function findLiveSession(tx: Tx, tokenHash: string, principalType: PrincipalType, now: Date) {
  return tx.session.findFirst({ where: { tokenHash, principalType, revokedAt: null, expiresAt: { gt: now } } });
}

export async function revokeSession(tx: Tx, sessionId: string, now: Date): Promise<void> {
  await tx.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
}

/** Deletes sessions that ended (expired or revoked) before the cut-off, in one statement. */
export async function deleteEndedSessions(tx: Tx, endedBefore: Date): Promise<number> {
  const { count } = await tx.session.deleteMany({
    where: { OR: [{ expiresAt: { lt: endedBefore } }, { revokedAt: { lt: endedBefore } }] },
  });
  return count;
}
