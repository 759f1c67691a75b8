/**
 * Whether an error is PostgreSQL refusing text it cannot store: the NUL character (U+0000),
 * which JSON, URLs and CSV can all carry but a `text` column cannot (22021), nor a `jsonb`
 * value (22P05). The statement failed as a whole, so nothing of it was written.
 */
export function isUnstorableText(error: unknown): boolean {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } } | null)?.meta
    ?.driverAdapterError?.cause;
  return cause?.originalCode === "22021" || cause?.originalCode === "22P05";
}
