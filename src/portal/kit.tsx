import type { Child } from "hono/jsx";
import { setBrowserSessionCookie } from "../auth/middleware.js";
import type { ApiError, ApiResult, CallApi } from "./api-client.js";
import { type PageUser, type PortalAuthenticators, type PortalContext, safeReturnPath } from "./context.js";
import { CsrfField, ErrorSummary, Field, renderPage, SubmitButton, uiOf } from "./layout.js";

export type PortalDeps = { callApi: CallApi; authenticate: PortalAuthenticators };

/** The text fields of a submitted form (files are read by the page that expects one). */
export async function formFields(c: PortalContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") fields[name] = value;
  return fields;
}

export function signedIn(c: PortalContext): PageUser {
  return c.get("pageUser");
}

/** The data of a successful API answer, or a page explaining the failure. */
export function pageOrFailure<T>(
  c: PortalContext,
  result: ApiResult<T>,
  render: (data: T) => Response | Promise<Response>,
): Response | Promise<Response> {
  if (result.ok) return render(result.data);
  return failurePage(c, result.error);
}

export function failurePage(c: PortalContext, error: ApiError) {
  const { t } = uiOf(c);
  const status = ([400, 401, 403, 404, 409, 422, 429] as const).find((s) => s === error.status) ?? 400;
  return renderPage(
    c,
    t("errorTitle"),
    <>
      <ErrorSummary error={error} />
      <p>
        <a href="/">{t("home")}</a>
      </p>
    </>,
    { status },
  );
}

/**
 * Signs in through one of the API's session endpoints and keeps the token in the browser's
 * session cookie; answers the API's result for the page to act on.
 */
export async function signInThroughApi<T extends { token: string }>(
  c: PortalContext,
  callApi: CallApi,
  path: string,
  json: Record<string, string>,
): Promise<ApiResult<T>> {
  const signed = await callApi<T>(c, { method: "POST", path, json });
  if (signed.ok) setBrowserSessionCookie(c, signed.data.token);
  return signed;
}

/** Where to go after signing in: the page that asked for it, or the area's home. */
export function returnPath(c: PortalContext, home: string): string {
  const next = safeReturnPath(c.req.query("next"));
  return next === "/" ? home : next;
}

/** The email-and-password sign-in page of establishment admins and agency staff. */
export function emailSignInPage(
  c: PortalContext,
  page: { title: string; action: string; error?: ApiError | undefined; footer?: Child },
) {
  const { t } = uiOf(c);
  const next = safeReturnPath(c.req.query("next"));
  return renderPage(
    c,
    page.title,
    <>
      <ErrorSummary error={page.error} />
      <form method="post" action={`${page.action}?next=${encodeURIComponent(next)}`} class="stack card">
        <CsrfField />
        <Field name="email" label={t("email")} type="email" required dir="ltr" autocomplete="username" />
        <Field name="password" label={t("password")} type="password" required autocomplete="current-password" />
        <SubmitButton label={t("signInButton")} />
      </form>
      {page.footer}
    </>,
    { status: page.error ? (page.error.status === 429 ? 429 : 401) : 200 },
  );
}

/** An amount typed into a form, as the API wants it: Arabic-Indic digits and separators normalised. */
export function normaliseDigits(value: string | undefined): string {
  return (value ?? "")
    .trim()
    .replace(/[٠-٩]/g, (digit) => String(digit.charCodeAt(0) - 0x0660))
    .replace(/[۰-۹]/g, (digit) => String(digit.charCodeAt(0) - 0x06f0))
    .replace(/٫/g, ".")
    .replace(/[٬,]/g, "");
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}
