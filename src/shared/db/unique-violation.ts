/**
 * Whether an error is Prisma's unique-constraint violation (P2002) on a constraint or column
 * whose name contains `name`. Repositories use it to turn a lost race or a duplicate into the
 * domain's own error code.
 */
export function isUniqueViolation(error: unknown, name: string): boolean {
  if (typeof error !== "object" || error === null || (error as { code?: string }).code !== "P2002") return false;
  return JSON.stringify((error as { meta?: unknown }).meta ?? "").includes(name);
}
