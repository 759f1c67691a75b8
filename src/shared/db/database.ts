import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlMigrationAwareDriverAdapterFactory,
  Transaction,
} from "@prisma/driver-adapter-utils";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { type Prisma, PrismaClient } from "../../generated/prisma/client.js";
import { type ListenOptions, listenForNotifications, type NotificationListener } from "./notifications.js";

export type { PrismaClient };
/** What a repository function receives: the client, or the transaction it runs in. */
export type Tx = Prisma.TransactionClient;

export type DatabaseKind = "pglite" | "postgresql";

/**
 * An open database: the Prisma client for queries and the adapter factory that Prisma's
 * schema engine uses to apply migrations to the same database.
 */
export type Database = {
  readonly kind: DatabaseKind;
  /** Where the data lives, safe to print (no password). */
  readonly description: string;
  readonly prisma: PrismaClient;
  readonly migrationAdapter: SqlMigrationAwareDriverAdapterFactory;
  /** The embedded engine itself, when kind is "pglite". */
  readonly pglite?: PGlite;
  /** PostgreSQL only: a read-only, repeatable-read snapshot on a connection of its own. */
  readonly openSnapshot?: OpenSnapshot;
  /** Large text answers, straight from the driver on PostgreSQL (see ReadText). */
  readonly readText: ReadText;
  /** PostgreSQL only: LISTEN on a channel over a connection of its own (see listenForNotifications). */
  readonly listen?: (channel: string, options: ListenOptions) => NotificationListener;
  close(): Promise<void>;
};

/**
 * Runs a statement whose answer is one text value (a JSON document SQL built) and returns it, or
 * undefined when the statement returns no row. On PostgreSQL it goes straight to the pool
 * Prisma's adapter uses, skipping Prisma's raw-result mapping: 0.3–0.6 ms for the 58 KB of a
 * subscriber's 20-year month view. The statement's values are handed to `pg` as they are, so
 * pass strings and nulls (cast in the SQL), not dates or decimals. PGlite, in process, runs it
 * through Prisma.
 */
export type ReadText = (statement: Prisma.Sql) => Promise<string | undefined>;

function readTextThroughPrisma(tx: Tx): ReadText {
  return async (statement) => {
    const [row] = await tx.$queryRaw<Record<string, string | null>[]>(statement);
    return (row ? Object.values(row)[0] : undefined) ?? undefined;
  };
}

/**
 * One consistent view of the database for bulk reads: small queries and `COPY … TO STDOUT`
 * all see the same committed data. `close` ends the transaction and returns the connection.
 */
export type Snapshot = {
  query<Row>(sql: string, parameters?: readonly unknown[]): Promise<Row[]>;
  /** Streams `COPY (<select>) TO STDOUT …` output as it arrives. */
  copyOut(copyStatement: string): AsyncIterable<Buffer>;
  /** Commits and returns the connection; `abandon` (a reader that stopped mid-COPY) drops it instead. */
  close(options?: { abandon?: boolean }): Promise<void>;
};
export type OpenSnapshot = () => Promise<Snapshot>;

export type PostgresOptions = {
  url: string;
  poolMax: number;
  /** A schema other than public: every query and migration runs in it (tests use one per file). */
  schema?: string;
};

export type PgliteOptions = {
  /** A folder to persist into, or undefined for a throwaway in-memory database. */
  dataDirectory?: string;
  /** A tarball made by `dumpPgliteDatabase`, loaded instead of starting empty (tests). */
  loadDataDir?: Blob;
};

export class DatabaseUnreachableError extends Error {
  constructor(
    readonly description: string,
    readonly reason: string,
  ) {
    super(`cannot reach the database (${description}): ${reason}`);
    this.name = "DatabaseUnreachableError";
  }
}

/** "postgres@127.0.0.1:5432/test", never the password. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : "";
    return `PostgreSQL ${user}${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    return "PostgreSQL (unparsable URL)";
  }
}

/** Put first in a hot raw statement's text: see preparedStatementName. */
export const preparedStatementMarker = "/* prepared */";

/**
 * A statement whose text starts with `preparedStatementMarker` is prepared once per pooled
 * connection, under a name derived from its text, so PostgreSQL parses and plans it once rather
 * than on every call (the month-by-month view's statement: 3.8 → 2.5 ms). Other statements get
 * no name and are not kept: a name per distinct text (createMany's row counts, DDL) would
 * accumulate on every connection without bound.
 */
function preparedStatementName(query: { sql: string }): string | undefined {
  if (!query.sql.startsWith(preparedStatementMarker)) return undefined;
  return `ishtirak_${createHash("sha256").update(query.sql).digest("hex").slice(0, 24)}`;
}

export async function openPostgresDatabase(options: PostgresOptions): Promise<Database> {
  const description = describePostgresUrl(options.url) + (options.schema ? ` schema ${options.schema}` : "");
  const connection: pg.PoolConfig = {
    connectionString: options.url,
    connectionTimeoutMillis: 5_000,
    // Unqualified names in migrations and raw SQL resolve to the chosen schema.
    ...(options.schema ? { options: `-c search_path="${options.schema}"` } : {}),
  };
  const adapterOptions = options.schema ? { schema: options.schema } : undefined;
  const pool = new pg.Pool({
    ...connection,
    max: options.poolMax,
    // No JIT compilation on the service's connections. Its statements are lookups, or set-based
    // statements that run once (billing, uploads), and PostgreSQL 15 compiles any statement whose
    // estimate passes 100,000, estimates that young or skewed statistics reach easily: the webhook
    // path's invoice lock compiled on every call in the bench (~1.2 ms each, half its time), the
    // upload's problem check spent ~0.7 s of its 1.2 s compiling, billing's statements ~0.5 s each.
    // A session setting (not a startup option, which PgBouncer refuses), awaited by the pool before
    // it hands the new connection out; if it fails, the connection is closed and the caller gets
    // the error instead of a connection without it.
    onConnect: (client) => client.query("SET jit = off"),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DatabaseUnreachableError(description, error instanceof Error ? error.message : String(error));
  }
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, {
      ...adapterOptions,
      // The adapter's type asks for a name every time; pg runs a query without one unnamed, as before.
      statementNameGenerator: preparedStatementName as (query: { sql: string }) => string,
    }),
  });
  return {
    kind: "postgresql",
    description,
    prisma,
    openSnapshot: () => openPostgresSnapshot(pool),
    listen: (channel, listenOptions) => listenForNotifications(connection, channel, listenOptions),
    async readText(statement) {
      const name = preparedStatementName({ sql: statement.text });
      const result = await pool.query<[string | null]>({
        ...(name === undefined ? {} : { name }),
        text: statement.text,
        values: statement.values,
        rowMode: "array",
      });
      return result.rows[0]?.[0] ?? undefined;
    },
    migrationAdapter: postgresMigrationAdapter(connection, adapterOptions),
    close: closeOnce(async () => {
      await prisma.$disconnect();
      await pool.end();
    }),
  };
}

export async function openPgliteDatabase(options: PgliteOptions = {}): Promise<Database> {
  const client = await PGlite.create({
    ...(options.dataDirectory === undefined ? {} : { dataDir: options.dataDirectory }),
    ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
  });
  const prisma = new PrismaClient({ adapter: pgliteQueryAdapter(client) });
  return {
    kind: "pglite",
    description:
      options.dataDirectory === undefined ? "PGlite (in memory)" : `PGlite (embedded) in ${options.dataDirectory}`,
    prisma,
    migrationAdapter: pgliteMigrationAdapter(client),
    readText: readTextThroughPrisma(prisma),
    pglite: client,
    close: closeOnce(async () => {
      await prisma.$disconnect();
      await client.close();
    }),
  };
}

async function openPostgresSnapshot(pool: pg.Pool): Promise<Snapshot> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  let isClosed = false;
  return {
    async query<Row>(sql: string, parameters: readonly unknown[] = []) {
      return (await client.query({ text: sql, values: [...parameters] })).rows as Row[];
    },
    copyOut: (copyStatement: string) => client.query(copyTo(copyStatement)),
    async close(options = {}) {
      if (isClosed) return;
      isClosed = true;
      if (options.abandon) {
        // Mid-COPY the connection cannot take another command: close it, the server rolls back.
        client.release(true);
        return;
      }
      try {
        await client.query("COMMIT");
        client.release();
      } catch (error) {
        client.release(error instanceof Error ? error : true);
      }
    },
  };
}

/** Closing twice (a test's drop after a close, a second signal) is a no-op. */
function closeOnce(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= close();
    return closing;
  };
}

/**
 * Both adapters mishandle migration scripts: @prisma/adapter-pg 7.10 splits a script on every
 * ";" (breaking function bodies) and runs the pieces outside a transaction, and
 * pglite-prisma-adapter 0.7.2 starts it without awaiting, so a failing script would be
 * recorded as applied. The schema engine's native build sends a script whole; so does this
 * wrapper, as one simple query, which PostgreSQL runs atomically in an implicit transaction.
 */
function runningScriptsWhole(
  adapter: SqlDriverAdapter,
  runScript: (script: string) => Promise<unknown>,
): SqlDriverAdapter {
  return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
    executeScript: async (script: string) => {
      await runScript(script);
    },
  });
}

function postgresMigrationAdapter(connection: pg.PoolConfig, options: { schema: string } | undefined) {
  // One connection: the engine's advisory lock and unlock must share a session.
  const factory = new PrismaPg({ ...connection, max: 1 }, options);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      return runningScriptsWhole(adapter, (script) => adapter.underlyingDriver().query(script));
    },
    connectToShadowDb: async () => {
      const adapter = await factory.connectToShadowDb();
      return runningScriptsWhole(adapter, (script) => adapter.underlyingDriver().query(script));
    },
  } satisfies SqlMigrationAwareDriverAdapterFactory;
}

function pgliteMigrationAdapter(client: PGlite) {
  const factory = new PrismaPGlite(client);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => runningScriptsWhole(await factory.connect(), (script) => client.exec(script)),
    connectToShadowDb: async () => {
      const shadow = await PGlite.create();
      const adapter = runningScriptsWhole(await new PrismaPGlite(shadow).connect(), (script) => shadow.exec(script));
      return Object.assign(adapter, { dispose: () => shadow.close() });
    },
  } satisfies SqlMigrationAwareDriverAdapterFactory;
}

/**
 * pglite-prisma-adapter 0.7.2 (pinned) attaches a `.catch` to the promise its commit awaits,
 * so an error raised at COMMIT (a deferred constraint trigger, such as the ledger's
 * entry-completeness check) is swallowed: PGlite rolls back while the caller is told the
 * transaction committed. This wrapper keeps the raw transaction promise and awaits it in
 * commit(), so the error reaches Prisma and the caller as it does on PostgreSQL.
 */
function pgliteQueryAdapter(client: PGlite): SqlDriverAdapterFactory {
  const factory = new PrismaPGlite(client);
  type Inner = { startTransactionInner(conn: unknown, options: { usePhantomQuery: boolean }): Promise<Transaction> };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
        startTransaction: async () => {
          let outcome: Promise<unknown> = Promise.resolve();
          const connection = {
            transaction: (run: Parameters<PGlite["transaction"]>[0]) => {
              outcome = client.transaction(run);
              return outcome;
            },
          };
          const transaction = await (adapter as unknown as Inner).startTransactionInner(connection, {
            usePhantomQuery: true,
          });
          return Object.assign(Object.create(transaction) as Transaction, {
            commit: async () => {
              await transaction.commit();
              await outcome;
            },
          });
        },
      });
    },
  };
}

/** A snapshot of a PGlite database, to start others from (per-file test databases). */
export async function dumpPgliteDatabase(database: Database): Promise<Blob> {
  if (database.pglite === undefined) throw new Error("only PGlite databases can be dumped");
  return (await database.pglite.dumpDataDir("none")) as Blob;
}
