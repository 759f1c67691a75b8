import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { PortalEnv } from "./context.js";

export const CSRF_COOKIE = "ishtirak_csrf";
export const CSRF_FIELD = "_csrf";

/**
 * Cross-site request forgery protection for the portal's forms, in two layers: the session
 * cookie is SameSite=Strict (a cross-site form post carries no session), and every form carries
 * a token that must equal the one in the browser's own HttpOnly CSRF cookie (double submit),
 * which another site can neither read nor set. A POST whose Origin header names another site
 * is refused before the body is read.
 */
export function protectForms(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    let token = getCookie(c, CSRF_COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      token = randomBytes(32).toString("base64url");
      setCookie(c, CSRF_COOKIE, token, { httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    }
    c.set("csrfToken", token);
    if (c.req.method === "POST") {
      const origin = c.req.header("origin");
      if (origin && origin !== "null" && hostOf(origin) !== new URL(c.req.url).host) return refuse(c);
      const form = await c.req.parseBody();
      const presented = form[CSRF_FIELD];
      if (typeof presented !== "string" || !sameToken(presented, getCookie(c, CSRF_COOKIE))) return refuse(c);
    }
    await next();
  };
}

/** The token to put in a form's hidden field. */
export function csrfToken(c: Context<PortalEnv>): string {
  return c.get("csrfToken");
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function sameToken(presented: string, expected: string | undefined): boolean {
  if (!expected || presented.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(presented), Buffer.from(expected));
}

function refuse(c: Context<PortalEnv>) {
  return c.html(
    `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>403</title></head><body>
<h1>انتهت صلاحية النموذج <small lang="en" dir="ltr">The form has expired</small></h1>
<p>أعد تحميل الصفحة وحاول مرة أخرى. <span lang="en" dir="ltr">Reload the page and try again (CSRF_TOKEN_INVALID).</span></p>
</body></html>`,
    403,
  );
}
