import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { EstablishmentActor, StaffActor, StaffRole, SubscriberActor } from "../auth/actor.js";
import { SESSION_COOKIE } from "../auth/middleware.js";
import type { AppEnv } from "../shared/http.js";
import { isLocale, type Locale } from "./i18n.js";

/** A signed-in portal user: who they are, and the session token the page calls the API with. */
export type PageUser =
  | { kind: "subscriber"; actor: SubscriberActor; token: string }
  | { kind: "establishment"; actor: EstablishmentActor & { via: { type: "session" } }; token: string }
  | { kind: "staff"; actor: StaffActor; token: string };

export type PortalEnv = {
  Variables: AppEnv["Variables"] & { locale: Locale; csrfToken: string; pageUser: PageUser };
};

export type PortalContext = Context<PortalEnv>;

export const LOCALE_COOKIE = "ishtirak_lang";

/** Arabic unless the browser chose English with the switch (a cookie, so it follows every page). */
export function chooseLocale(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const chosen = getCookie(c, LOCALE_COOKIE);
    c.set("locale", chosen && isLocale(chosen) ? chosen : "ar");
    await next();
  };
}

export function rememberLocale(c: PortalContext, locale: Locale): void {
  setCookie(c, LOCALE_COOKIE, locale, {
    path: "/",
    sameSite: "Lax",
    secure: true,
    httpOnly: true,
    maxAge: 365 * 24 * 3600,
  });
}

/** A same-site path to return to after signing in or switching language; anything else is "/". */
export function safeReturnPath(candidate: string | undefined): string {
  if (!candidate?.startsWith("/") || candidate.startsWith("//") || candidate.includes("\\")) return "/";
  return candidate;
}

export type PortalAuthenticators = {
  subscriber(token: string): Promise<SubscriberActor | undefined>;
  establishment(token: string): Promise<EstablishmentActor | undefined>;
  staff(token: string): Promise<StaffActor | undefined>;
};

export type PortalArea = "subscriber" | "employer" | "staff";

export const loginPath: Record<PortalArea, string> = {
  subscriber: "/subscriber/login",
  employer: "/employer/login",
  staff: "/staff/login",
};

/**
 * Pages check who is signed in exactly as the API does (the same session table and lifetimes).
 * Without a session of the right kind the browser goes to that area's sign-in page and comes
 * back afterwards; a staff member without the role gets 403.
 */
export function requirePageUser(
  area: PortalArea,
  authenticate: PortalAuthenticators,
  roles: readonly StaffRole[] = [],
): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const user = token ? await resolve(area, authenticate, token) : undefined;
    if (!user) {
      const back = c.req.method === "GET" ? c.req.path + new URL(c.req.url).search : c.req.path;
      return c.redirect(`${loginPath[area]}?next=${encodeURIComponent(back)}`, 303);
    }
    if (user.kind === "staff" && roles.length > 0 && !roles.includes(user.actor.role)) {
      c.set("pageUser", user);
      return c.html(forbidden(c.get("locale")), 403);
    }
    c.set("pageUser", user);
    await next();
  };
}

async function resolve(
  area: PortalArea,
  authenticate: PortalAuthenticators,
  token: string,
): Promise<PageUser | undefined> {
  switch (area) {
    case "subscriber": {
      const actor = await authenticate.subscriber(token);
      return actor ? { kind: "subscriber", actor, token } : undefined;
    }
    case "employer": {
      const actor = await authenticate.establishment(token);
      // A cookie only ever holds a signed-in admin's session, never a direct-link API key.
      if (actor?.via.type !== "session") return undefined;
      return { kind: "establishment", actor: actor as EstablishmentActor & { via: { type: "session" } }, token };
    }
    case "staff": {
      const actor = await authenticate.staff(token);
      return actor ? { kind: "staff", actor, token } : undefined;
    }
  }
}

function forbidden(locale: Locale): string {
  return locale === "ar"
    ? `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>403</title><link rel="stylesheet" href="/assets/portal.css"></head><body><main><h1>غير مسموح</h1><p>هذه الصفحة لدور آخر (ROLE_NOT_PERMITTED).</p><p><a href="/">الصفحة الرئيسية</a></p></main></body></html>`
    : `<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>403</title><link rel="stylesheet" href="/assets/portal.css"></head><body><main><h1>Not permitted</h1><p>This page is for another role (ROLE_NOT_PERMITTED).</p><p><a href="/">Home</a></p></main></body></html>`;
}
