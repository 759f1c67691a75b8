import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { EstablishmentActor } from "../auth/actor.js";
import { presentedToken, SESSION_COOKIE } from "../auth/middleware.js";
import { AppError } from "../shared/errors.js";
import type { AppEnv } from "../shared/http.js";
import type { EmployerService } from "./service.js";

/** An establishment admin's session (bearer or cookie) or a direct-link API key. */
export function requireEstablishmentCaller(employers: EmployerService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = presentedToken(c.req.header("authorization"), getCookie(c, SESSION_COOKIE));
    const actor = token ? await employers.authenticateCaller(token) : undefined;
    if (!actor)
      throw new AppError("AUTHENTICATION_REQUIRED", "send an establishment session or an API key as a bearer token");
    c.set("actor", actor);
    await next();
  };
}

export function establishmentActor(actor: AppEnv["Variables"]["actor"]): EstablishmentActor {
  if (actor.kind !== "establishment") throw new AppError("AUTHENTICATION_REQUIRED", "sign in as an establishment");
  return actor;
}
