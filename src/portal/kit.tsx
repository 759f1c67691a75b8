import type { ApiError, ApiResult, CallApi } from "./api-client.js";
import type { PageUser, PortalAuthenticators, PortalContext } from "./context.js";
import { ErrorSummary, renderPage, uiOf } from "./layout.js";

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
