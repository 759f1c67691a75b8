import { createRoute } from "@hono/zod-openapi";
import { clearSessionCookie, setSessionCookie } from "../auth/middleware.js";
import { createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
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

const registerEstablishment = createRoute({
  method: "post",
  path: "/v1/establishments",
  tags: ["Establishments"],
  summary: "Register an establishment and its first admin user",
  request: { body: { required: true, ...jsonContent(RegisterEstablishmentBody) } },
  responses: {
    201: { description: "Registered", ...jsonContent(RegisteredEstablishmentResponse) },
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
  security: sessionSecurity,
  request: { params: EstablishmentIdParams },
  responses: {
    200: { description: "Establishment", ...jsonContent(EstablishmentResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ESTABLISHMENT_NOT_FOUND"),
  },
});

const logIn = createRoute({
  method: "post",
  path: "/v1/auth/establishment/sessions",
  tags: ["Establishments"],
  summary: "Sign in as an establishment admin: a bearer token and an HttpOnly session cookie",
  request: { body: { required: true, ...jsonContent(EstablishmentLoginBody) } },
  responses: {
    201: { description: "Signed in", ...jsonContent(EstablishmentSessionResponse) },
    ...errorResponses("INVALID_CREDENTIALS"),
  },
});

const logOut = createRoute({
  method: "delete",
  path: "/v1/auth/establishment/sessions/current",
  tags: ["Establishments"],
  summary: "Sign out",
  security: sessionSecurity,
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
  security: sessionSecurity,
  request: { params: EstablishmentIdParams, body: { required: true, ...jsonContent(CreateApiKeyBody) } },
  responses: {
    201: { description: "Created", ...jsonContent(CreatedApiKeyResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "API_KEY_NOT_PERMITTED", "ESTABLISHMENT_NOT_FOUND"),
  },
});

const listApiKeys = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/api-keys",
  tags: ["Direct link"],
  summary: "The establishment's API keys, without the keys themselves",
  security: sessionSecurity,
  request: { params: EstablishmentIdParams },
  responses: {
    200: { description: "Keys", ...jsonContent(ApiKeyListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "API_KEY_NOT_PERMITTED", "ESTABLISHMENT_NOT_FOUND"),
  },
});

const revokeApiKey = createRoute({
  method: "delete",
  path: "/v1/establishments/{establishmentId}/api-keys/{keyId}",
  tags: ["Direct link"],
  summary: "Revoke an API key: it stops working at once",
  security: sessionSecurity,
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
      setSessionCookie(c, session.token, session.expiresAt);
      return c.json({ ...session, expiresAt: session.expiresAt.toISOString() }, 201);
    })
    .openapi(logOut, async (c) => {
      await employers.logOut(establishmentActor(c.get("actor")));
      clearSessionCookie(c);
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
