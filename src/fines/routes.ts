import { createRoute } from "@hono/zod-openapi";
import { requireStaff, staffActor } from "../auth/middleware.js";
import type { AuthService } from "../auth/service.js";
import { createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import { presentLateFine } from "./presentation.js";
import {
  AssessmentResponse,
  FineListQuery,
  FineListResponse,
  FineParams,
  LateFineResponse,
  WaiveFineBody,
} from "./schemas.js";
import type { FineService } from "./service.js";

const listFines = createRoute({
  method: "get",
  path: "/v1/late-fines",
  tags: ["Late fines"],
  summary: "Late-payment fines, by establishment or invoice",
  security: sessionSecurity,
  request: { query: FineListQuery },
  responses: {
    200: { description: "Fines, latest period first", ...jsonContent(FineListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const assessFines = createRoute({
  method: "post",
  path: "/v1/late-fines/assessments",
  tags: ["Late fines"],
  summary: "Assess the fine periods that have begun, now (the daily job does the same)",
  security: sessionSecurity,
  responses: {
    200: { description: "What was assessed", ...jsonContent(AssessmentResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const waiveFine = createRoute({
  method: "post",
  path: "/v1/late-fines/{fineId}/waive",
  tags: ["Late fines"],
  summary: "Waive a fine: its posting is reversed, and who waived it and why is kept",
  security: sessionSecurity,
  request: { params: FineParams, body: { required: true, ...jsonContent(WaiveFineBody) } },
  responses: {
    200: { description: "Waived", ...jsonContent(LateFineResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "LATE_FINE_NOT_FOUND",
      "LATE_FINE_ALREADY_WAIVED",
    ),
  },
});

export function fineRoutes(deps: { fines: FineService; auth: AuthService }) {
  const { fines, auth } = deps;
  const app = createRouter();
  const readers = requireStaff(auth, ["ACCOUNTANT", "AGENCY_ADMIN"]);
  const admins = requireStaff(auth, ["AGENCY_ADMIN"]);
  for (const path of ["/v1/late-fines", "/v1/late-fines/*"]) {
    app.use(path, async (c, next) => (c.req.method === "GET" ? readers(c, next) : admins(c, next)));
  }
  return app
    .openapi(listFines, async (c) =>
      c.json({ fines: (await fines.listFines(c.req.valid("query"))).map(presentLateFine) }, 200),
    )
    .openapi(assessFines, async (c) => {
      const result = await fines.assessLateFines();
      return c.json({ ...result, amount: result.amount.toString() }, 200);
    })
    .openapi(waiveFine, async (c) => {
      const fine = await fines.waiveFine(
        staffActor(c.get("actor")),
        c.req.valid("param").fineId,
        c.req.valid("json").reason,
      );
      return c.json(presentLateFine(fine), 200);
    });
}
