import { createRoute } from "@hono/zod-openapi";
import { deleteCookie, setCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../auth/middleware.js";
import { createRouter, errorResponses } from "../shared/http.js";
import { establishmentActor, requireEstablishmentCaller } from "./middleware.js";
import type { EstablishmentRecord } from "./repository.js";
import {
  ApiKeyListResponse,
  ApiKeyParams,
  CreateApiKeyBody,
  CreatedApiKeyResponse,
  EstablishmentIdParams,
  EstablishmentLoginBody,
  EstablishmentResponse,
  EstablishmentSessionResponse,
  RegisterEstablishmentBody,
  RegisteredEstablishmentResponse,
} from "./schemas.js";
import type { EmployerService } from "./service.js";

const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });
const callerSecurity = [{ bearer: [] }, { sessionCookie: [] }];

const registerEstablishment = createRoute({
  method: "post",
  path: "/v1/establishments",
  tags: ["Establishments"],
  summary: "Register an establishment and its first admin user",
  request: { body: { required: true, ...json(RegisterEstablishmentBody) } },
  responses: {
    201: { description: "Registered", ...json(RegisteredEstablishmentResponse) },
    ...errorResponses(
      "COMMERCIAL_REGISTRATION_INVALID",
      "UNIFIED_NUMBER_INVALID",
      "ESTABLISHMENT_IDENTIFIER_REQUIRED",
      "MOBILE_INVALID",
      "PASSWORD_TOO_WEAK",
      "ESTABLISHMENT_ALREADY_REGISTERED",
      "USER_EMAIL_TAKEN",
    ),
  },
});

const getEstablishment = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}",
  tags: ["Establishments"],
  summary: "The caller's own establishment",
  security: callerSecurity,
  request: { params: EstablishmentIdParams },
  responses: {
    200: { description: "Establishment", ...json(EstablishmentResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ESTABLISHMENT_NOT_FOUND"),
  },
});

const logIn = createRoute({
  method: "post",
  path: "/v1/auth/establishment/sessions",
  tags: ["Establishments"],
  summary: "Sign in as an establishment admin: a bearer token and an HttpOnly session cookie",
  request: { body: { required: true, ...json(EstablishmentLoginBody) } },
  responses: {
    201: { description: "Signed in", ...json(EstablishmentSessionResponse) },
    ...errorResponses("INVALID_CREDENTIALS"),
  },
});

const logOut = createRoute({
  method: "delete",
  path: "/v1/auth/establishment/sessions/current",
  tags: ["Establishments"],
  summary: "Sign out",
  security: callerSecurity,
  responses: {
    204: { description: "Signed out" },
    ...errorResponses("AUTHENTICATION_REQUIRED", "API_KEY_NOT_PERMITTED"),
  },
});

const createApiKey = createRoute({
  method: "post",
  path: "/v1/establishments/{establishmentId}/api-keys",
  tags: ["Direct link"],
  summary: "Create an API key for the establishment's payroll system (shown once)",
  security: callerSecurity,
  request: { params: EstablishmentIdParams, body: { required: true, ...json(CreateApiKeyBody) } },
  responses: {
    201: { description: "Created", ...json(CreatedApiKeyResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "API_KEY_NOT_PERMITTED", "ESTABLISHMENT_NOT_FOUND"),
  },
});

const listApiKeys = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/api-keys",
  tags: ["Direct link"],
  summary: "The establishment's API keys, without the keys themselves",
  security: callerSecurity,
  request: { params: EstablishmentIdParams },
  responses: {
    200: { description: "Keys", ...json(ApiKeyListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "API_KEY_NOT_PERMITTED", "ESTABLISHMENT_NOT_FOUND"),
  },
});

const revokeApiKey = createRoute({
  method: "delete",
  path: "/v1/establishments/{establishmentId}/api-keys/{keyId}",
  tags: ["Direct link"],
  summary: "Revoke an API key: it stops working at once",
  security: callerSecurity,
  request: { params: ApiKeyParams },
  responses: {
    204: { description: "Revoked" },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "API_KEY_NOT_PERMITTED",
      "ESTABLISHMENT_NOT_FOUND",
      "API_KEY_NOT_FOUND",
    ),
  },
});

function toEstablishmentResponse(establishment: EstablishmentRecord) {
  return {
    ...establishment,
    registrationNumber: String(establishment.registrationNumber),
    createdAt: establishment.createdAt.toISOString(),
  };
}

function toApiKeyResponse(key: {
  id: string;
  name: string;
  displayPrefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}) {
  return {
    id: key.id,
    name: key.name,
    displayPrefix: key.displayPrefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/** Routes under /v1/establishments/{id} rely on the caller and idempotency middleware app.ts mounts. */
export function employerRoutes(employers: EmployerService) {
  const app = createRouter();
  app.use(logOut.path, requireEstablishmentCaller(employers));
  return app
    .openapi(registerEstablishment, async (c) => {
      const registered = await employers.registerEstablishment(c.req.valid("json"));
      return c.json({ establishment: toEstablishmentResponse(registered.establishment), admin: registered.admin }, 201);
    })
    .openapi(getEstablishment, async (c) => {
      const actor = establishmentActor(c.get("actor"));
      return c.json(
        toEstablishmentResponse(await employers.establishmentOf(actor, c.req.valid("param").establishmentId)),
        200,
      );
    })
    .openapi(logIn, async (c) => {
      const session = await employers.logInAdmin(c.req.valid("json"));
      setCookie(c, SESSION_COOKIE, session.token, {
        httpOnly: true,
        secure: true,
        sameSite: "Strict",
        path: "/",
        expires: session.expiresAt,
      });
      return c.json({ ...session, expiresAt: session.expiresAt.toISOString() }, 201);
    })
    .openapi(logOut, async (c) => {
      await employers.logOut(establishmentActor(c.get("actor")));
      deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
      return c.body(null, 204);
    })
    .openapi(createApiKey, async (c) => {
      const actor = establishmentActor(c.get("actor"));
      const created = await employers.createApiKey(
        actor,
        c.req.valid("param").establishmentId,
        c.req.valid("json").name,
      );
      return c.json({ ...toApiKeyResponse(created), key: created.key }, 201);
    })
    .openapi(listApiKeys, async (c) => {
      const keys = await employers.listApiKeys(
        establishmentActor(c.get("actor")),
        c.req.valid("param").establishmentId,
      );
      return c.json({ apiKeys: keys.map(toApiKeyResponse) }, 200);
    })
    .openapi(revokeApiKey, async (c) => {
      const { establishmentId, keyId } = c.req.valid("param");
      await employers.revokeApiKey(establishmentActor(c.get("actor")), establishmentId, keyId);
      return c.body(null, 204);
    });
}
