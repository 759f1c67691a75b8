import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { SubscriberActor } from "../auth/actor.js";
import { presentedToken, SESSION_COOKIE } from "../auth/middleware.js";
import { AppError } from "../shared/errors.js";
import type { AppEnv } from "../shared/http.js";
import type { SubscriberAccounts } from "./service.js";

/** A subscriber's session, from `Authorization: Bearer` or the session cookie. */
export function requireSubscriber(accounts: SubscriberAccounts): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = presentedToken(c.req.header("authorization"), getCookie(c, SESSION_COOKIE));
    const actor = token ? await accounts.authenticate(token) : undefined;
    if (!actor) throw new AppError("AUTHENTICATION_REQUIRED", "sign in as a subscriber first");
    c.set("actor", actor);
    await next();
  };
}

export function subscriberActor(actor: AppEnv["Variables"]["actor"]): SubscriberActor {
  if (actor.kind !== "subscriber") throw new AppError("AUTHENTICATION_REQUIRED", "sign in as a subscriber");
  return actor;
}
