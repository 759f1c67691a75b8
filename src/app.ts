import { Scalar } from "@scalar/hono-api-reference";
import type { Config } from "./config.js";
import { healthRoutes } from "./health/routes.js";
import type { Clock } from "./shared/clock.js";
import type { PrismaClient } from "./shared/db/database.js";
import {
  answerMethodNotAllowed,
  answerRouteNotFound,
  createRouter,
  limitBodySize,
  renderError,
  tagAndLogRequests,
} from "./shared/http.js";
import type { Logger } from "./shared/logger.js";

export type AppDeps = {
  db: PrismaClient;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** The migrations this build ships with; readiness waits for all of them. */
  expectedMigrations: readonly string[];
};

export const OPENAPI_INFO = {
  title: "Ishtirak",
  version: "0.1.0",
  description:
    "Contribution billing for a social-insurance agency: establishments, registered wages, monthly invoices, payments, a double-entry ledger and subscriber inquiries. Amounts are strings in SAR with two decimals.",
} as const;

/** The HTTP application as a pure function of its dependencies: no I/O here. */
export function createApp(deps: AppDeps) {
  const app = createRouter();
  app.use(...tagAndLogRequests(deps.logger));
  app.use(answerMethodNotAllowed(app));
  app.use(limitBodySize(deps.config.bodyLimitBytes));
  app.onError(renderError(deps.logger));
  app.notFound(answerRouteNotFound);

  app.route("/", healthRoutes(deps));

  app.doc31("/openapi.json", { openapi: "3.1.0", info: OPENAPI_INFO });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Ishtirak API" }));
  return app;
}

export type App = ReturnType<typeof createApp>;
