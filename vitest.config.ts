import { defineConfig } from "vitest/config";

/**
 * One suite, two databases: PGlite in memory when DATABASE_URL is unset, otherwise a fresh
 * PostgreSQL schema per test file (test/support/test-database.ts). Files run in parallel.
 */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
