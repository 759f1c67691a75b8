import { loadConfig } from "../../config.js";
import { systemClock } from "../clock.js";
import { applyPendingMigrations, createMigration, diffMigrationsToSchema } from "./migrations.js";
import { openConfiguredDatabase } from "./open-configured-database.js";

/**
 * npm run db:migrate        apply pending migrations to the configured database
 * npm run db:new -- <name>  write prisma/migrations/<timestamp>_<name>/migration.sql from the schema diff
 * npm run db:check          exit 1 when the schema and the migrations disagree (drift)
 */
async function runDatabaseCommand(command: string | undefined, argument: string | undefined): Promise<number> {
  switch (command) {
    case "migrate": {
      const database = await openConfiguredDatabase(loadConfig(process.env));
      try {
        const applied = await applyPendingMigrations(database);
        console.log(
          applied.length === 0
            ? `${database.description}: no pending migrations`
            : `${database.description}: applied ${applied.join(", ")}`,
        );
        return 0;
      } finally {
        await database.close();
      }
    }
    case "new": {
      if (!argument) {
        console.error("usage: npm run db:new -- <name>");
        return 2;
      }
      const directory = await createMigration(argument, { now: systemClock.now() });
      console.log(directory ? `wrote ${directory}` : "the schema matches the migrations: nothing to write");
      return 0;
    }
    case "check": {
      const drift = await diffMigrationsToSchema();
      if (drift === "") {
        console.log("schema and migrations agree");
        return 0;
      }
      console.error(
        "drift: prisma/schema.prisma differs from prisma/migrations; `npm run db:new -- <name>` would write:",
      );
      console.error(drift);
      return 1;
    }
    default:
      console.error("usage: db/cli.ts migrate | new <name> | check");
      return 2;
  }
}

runDatabaseCommand(process.argv[2], process.argv[3]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`ishtirak: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
