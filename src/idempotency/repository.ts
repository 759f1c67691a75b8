import type { Tx } from "../shared/db/database.js";

export type StoredIdempotencyKey = {
  requestHash: string;
  responseStatus: number | null;
  responseBody: string | null;
  createdAt: Date;
};

/** Claims the key for a first request; false when a row exists already (another request has it). */
export async function claimIdempotencyKey(
  tx: Tx,
  row: { scope: string; key: string; requestHash: string; createdAt: Date },
): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO idempotency_keys (scope, key, request_hash, created_at)
    VALUES (${row.scope}, ${row.key}, ${row.requestHash}, ${row.createdAt})
    ON CONFLICT (scope, key) DO NOTHING`;
  return inserted === 1;
}

export async function findIdempotencyKey(
  tx: Tx,
  scope: string,
  key: string,
): Promise<StoredIdempotencyKey | undefined> {
  return (await tx.idempotencyKey.findUnique({ where: { scope_key: { scope, key } } })) ?? undefined;
}

export async function completeIdempotencyKey(
  tx: Tx,
  scope: string,
  key: string,
  response: { status: number; body: string },
): Promise<void> {
  await tx.idempotencyKey.updateMany({
    where: { scope, key, responseStatus: null },
    data: { responseStatus: response.status, responseBody: response.body },
  });
}

/** Frees a key whose request failed on our side (5xx) or expired, so it can be used again. */
export async function releaseIdempotencyKey(tx: Tx, scope: string, key: string, createdBefore?: Date): Promise<void> {
  await tx.idempotencyKey.deleteMany({
    where: { scope, key, ...(createdBefore ? { createdAt: { lt: createdBefore } } : {}) },
  });
}

/** Deletes up to `limit` keys older than the cut-off (a daily job calls it); how many it deleted. */
export async function deleteExpiredIdempotencyKeys(tx: Tx, createdBefore: Date, limit: number): Promise<number> {
  return tx.$executeRaw`
    DELETE FROM idempotency_keys
     WHERE (scope, key) IN (SELECT scope, key FROM idempotency_keys WHERE created_at < ${createdBefore} LIMIT ${limit}::int)`;
}
