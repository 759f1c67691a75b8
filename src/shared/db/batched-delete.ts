/**
 * Deletes in statements of at most `batch` rows, so none holds many row locks or a long
 * transaction, until one deletes fewer than asked; returns how many were deleted in all.
 */
export async function deleteInBatches(deleteUpTo: (limit: number) => Promise<number>, batch: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const deletedNow = await deleteUpTo(batch);
    deleted += deletedNow;
    if (deletedNow < batch) return deleted;
  }
}
