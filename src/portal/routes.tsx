import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { clearSessionCookie, SESSION_COOKIE } from "../auth/middleware.js";
import { type ApiFetch, createApiClient } from "./api-client.js";
import { portalCss, portalJs } from "./assets.js";
import {
  chooseLocale,
  type PortalAuthenticators,
  type PortalContext,
  type PortalEnv,
  rememberLocale,
  safeReturnPath,
} from "./context.js";
import { protectForms } from "./csrf.js";
import { employerPages, uploadBodyLimit } from "./employer-pages.js";
import { isLocale } from "./i18n.js";
import type { PortalDeps } from "./kit.js";
import { renderPage, uiOf } from "./layout.js";
import { staffPages, type Today } from "./staff-pages.js";
import { subscriberPages } from "./subscriber-pages.js";

/**
 * The paths the portal's pages live under; the API's own (/v1, /webhooks, /verify, /docs…) are
 * not among them, so the portal's cookies and form checks never touch an API call. In Hono
 * "/x/*" also matches "/x".
 */
const pagePatterns = [
  "/",
  "/lang/*",
  "/logout",
  "/subscriber/*",
  "/employer/*",
  "/staff/*",
  "/accountant/*",
  "/admin/*",
];

export function isPortalPath(path: string): boolean {
  return path === "/" || /^\/(lang|logout|subscriber|employer|staff|accountant|admin)(\/|$)/.test(path);
}

/**
 * The web portal: server-rendered pages in Arabic (right to left, the default) and English,
 * for subscribers, establishments, accountants and agency admins. The pages have no rules of
 * their own: each calls the HTTP API in-process with the signed-in user's session.
 */
export function portalRoutes(deps: { api: () => ApiFetch; authenticate: PortalAuthenticators; today: Today }) {
  const pageDeps: PortalDeps = { callApi: createApiClient(deps.api), authenticate: deps.authenticate };
  const app = new Hono<PortalEnv>();

  app.get("/assets/portal.css", (c) => asset(c, portalCss, "text/css; charset=utf-8"));
  app.get("/assets/portal.js", (c) => asset(c, portalJs, "text/javascript; charset=utf-8"));

  app.use("/employer/upload", uploadBodyLimit());
  for (const pattern of pagePatterns) app.use(pattern, chooseLocale(), protectForms());

  app.get("/lang/:locale", (c) => {
    const locale = c.req.param("locale");
    if (isLocale(locale)) rememberLocale(c, locale);
    return c.redirect(safeReturnPath(c.req.query("next")), 303);
  });

  app.get("/", (c) => {
    const { t } = uiOf(c);
    const areas = [
      { href: "/subscriber/login", title: t("homeSubscribers"), text: t("homeSubscribersText") },
      { href: "/employer/login", title: t("homeEmployers"), text: t("homeEmployersText") },
      { href: "/staff/login", title: t("homeStaff"), text: t("homeStaffText") },
    ];
    return renderPage(
      c,
      t("homeTitle"),
      <>
        <p>{t("homeIntro")}</p>
        <div class="grid">
          {areas.map((area) => (
            <section class="card">
              <h2>
                <a href={area.href}>{area.title}</a>
              </h2>
              <p>{area.text}</p>
            </section>
          ))}
        </div>
      </>,
    );
  });

  // Signing out ends the session server-side through the API of whichever kind of user it is.
  app.post("/logout", async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) {
      const endpoint = (await deps.authenticate.subscriber(token))
        ? "/v1/auth/subscriber/sessions/current"
        : (await deps.authenticate.establishment(token))
          ? "/v1/auth/establishment/sessions/current"
          : (await deps.authenticate.staff(token))
            ? "/v1/auth/staff/sessions/current"
            : undefined;
      if (endpoint) await pageDeps.callApi(c, { method: "DELETE", path: endpoint, token });
    }
    clearSessionCookie(c);
    return c.redirect("/", 303);
  });

  app.route("/", subscriberPages(pageDeps));
  app.route("/", employerPages(pageDeps));
  app.route("/", staffPages({ ...pageDeps, today: deps.today }));
  return app;
}

/** The HTML 404 for a page address nobody serves (the API's paths keep their JSON 404). */
export function pageNotFound(c: PortalContext) {
  const { t } = uiOf(c);
  return renderPage(c, t("notFoundTitle"), <p>{t("notFoundText")}</p>, { status: 404 });
}

function asset(c: PortalContext, body: string, contentType: string) {
  return c.body(body, 200, { "content-type": contentType, "cache-control": "public, max-age=3600" });
}
