import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../../config.js";
import { type Database, openPgliteDatabase, openPostgresDatabase } from "./database.js";

/** PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite under DATA_DIR. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  if (config.database.kind === "postgresql") {
    return openPostgresDatabase({ url: config.database.url, poolMax: config.database.poolMax });
  }
  const dataDirectory = path.resolve(config.database.dataDirectory, "pglite");
  await mkdir(dataDirectory, { recursive: true });
  return openPgliteDatabase({ dataDirectory });
}
