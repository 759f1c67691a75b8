import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { AppError } from "../shared/errors.js";
import type { AppEnv } from "../shared/http.js";
import type { Actor, StaffActor, StaffRole } from "./actor.js";
import type { AuthService } from "./service.js";

export const SESSION_COOKIE = "ishtirak_session";

/** The staff actor that requireStaff put on the context. */
export function staffActor(actor: Actor): StaffActor {
  if (actor.kind !== "staff") throw new AppError("AUTHENTICATION_REQUIRED", "sign in as staff");
  return actor;
}

export function presentedToken(authorization: string | undefined, cookie: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  return bearer ?? cookie;
}

/** Resolves the session from `Authorization: Bearer` or the session cookie, and checks the role. */
export function requireStaff(auth: AuthService, roles: readonly StaffRole[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = presentedToken(c.req.header("authorization"), getCookie(c, SESSION_COOKIE));
    const actor = token ? await auth.authenticate(token) : undefined;
    if (!actor)
      throw new AppError("AUTHENTICATION_REQUIRED", "sign in first: send a bearer token or the session cookie");
    if (!roles.includes(actor.role)) {
      throw new AppError("ROLE_NOT_PERMITTED", `this needs one of the roles ${roles.join(", ")}`);
    }
    c.set("actor", actor);
    await next();
  };
}

/** The session cookie every sign-in sets: HttpOnly, Secure, SameSite=Strict, for the whole site. */
// biome-ignore lint/suspicious/noExplicitAny: the API and the portal pages (each with its own env) both sign in
export function setSessionCookie(c: Context<any>, token: string, expires: Date): void {
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: "Strict", path: "/", expires });
}

/**
 * The portal's session cookie: the same token and flags, but without an expiry date, so it ends
 * with the browser; the server still ends the session at its own lifetime. The browser's clock
 * then never decides whether a session is alive.
 */
// biome-ignore lint/suspicious/noExplicitAny: as above
export function setBrowserSessionCookie(c: Context<any>, token: string): void {
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export function clearSessionCookie(c: Context<any>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
}
