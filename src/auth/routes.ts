import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { type AppEnv, createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import { clearSessionCookie, requireStaff, setSessionCookie, staffActor } from "./middleware.js";
import { CreateStaffUserBody, StaffLoginBody, StaffSessionResponse, StaffUserResponse } from "./schemas.js";
import type { AuthService } from "./service.js";

const logIn = createRoute({
  method: "post",
  path: "/v1/auth/staff/sessions",
  tags: ["Staff"],
  summary: "Sign in as agency staff: a bearer token and an HttpOnly session cookie",
  request: { body: { required: true, ...jsonContent(StaffLoginBody) } },
  responses: {
    201: { description: "Signed in", ...jsonContent(StaffSessionResponse) },
    ...errorResponses("INVALID_CREDENTIALS"),
  },
});

const logOut = createRoute({
  method: "delete",
  path: "/v1/auth/staff/sessions/current",
  tags: ["Staff"],
  summary: "Sign out: the session stops working at once",
  security: sessionSecurity,
  responses: { 204: { description: "Signed out" }, ...errorResponses("AUTHENTICATION_REQUIRED") },
});

const whoAmI = createRoute({
  method: "get",
  path: "/v1/auth/staff/me",
  tags: ["Staff"],
  summary: "The signed-in staff user",
  security: sessionSecurity,
  responses: {
    200: { description: "The user", ...jsonContent(StaffUserResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED"),
  },
});

const createStaffUser = createRoute({
  method: "post",
  path: "/v1/staff-users",
  tags: ["Staff"],
  summary: "Create a staff user (agency admin only)",
  security: sessionSecurity,
  request: { body: { required: true, ...jsonContent(CreateStaffUserBody) } },
  responses: {
    201: { description: "Created", ...jsonContent(StaffUserResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED", "STAFF_EMAIL_TAKEN"),
  },
});

export function authRoutes(auth: AuthService, idempotency: MiddlewareHandler<AppEnv>) {
  const anyStaff = requireStaff(auth, ["AGENCY_ADMIN", "ACCOUNTANT"]);
  const app = createRouter();
  app.use(logOut.path, anyStaff);
  app.use(whoAmI.path, anyStaff);
  app.use(createStaffUser.path, requireStaff(auth, ["AGENCY_ADMIN"]), idempotency);
  return app
    .openapi(logIn, async (c) => {
      const session = await auth.logInStaff(c.req.valid("json"));
      setSessionCookie(c, session.token, session.expiresAt);
      return c.json({ ...session, expiresAt: session.expiresAt.toISOString() }, 201);
    })
    .openapi(logOut, async (c) => {
      await auth.logOut(staffActor(c.get("actor")));
      clearSessionCookie(c);
      return c.body(null, 204);
    })
    .openapi(whoAmI, async (c) => c.json(await auth.describe(staffActor(c.get("actor"))), 200))
    .openapi(createStaffUser, async (c) => c.json(await auth.createStaffUser(c.req.valid("json")), 201));
}
