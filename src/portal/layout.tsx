import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { createContext, useContext } from "hono/jsx";
import type { ApiError } from "./api-client.js";
import type { PageUser, PortalContext } from "./context.js";
import { CSRF_FIELD } from "./csrf.js";
import { formatDate, formatHijriDate, formatMoney, formatMonth } from "./format.js";
import { describeError, type Locale, type MessageKey, type Translate, translator } from "./i18n.js";

/** What every component of a page needs: the language, its words, the form token and the user. */
export type Ui = { locale: Locale; t: Translate; csrf: string; path: string; user: PageUser | undefined };

const UiContext = createContext<Ui>({
  locale: "ar",
  t: translator("ar"),
  csrf: "",
  path: "/",
  user: undefined,
});

export function useUi(): Ui {
  return useContext(UiContext);
}

export function uiOf(c: PortalContext): Ui {
  // A page answered before the portal's middleware ran (an oversized upload) is in Arabic.
  const locale = c.get("locale") ?? "ar";
  return {
    locale,
    t: translator(locale),
    csrf: c.get("csrfToken") ?? "",
    path: c.req.path + new URL(c.req.url).search,
    user: c.get("pageUser"),
  };
}

type PageOptions = { status?: 200 | 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429; autoRefresh?: boolean };

/** Renders a whole page: the document shell around `body`, in the visitor's language. */
export function renderPage(c: PortalContext, title: string, body: Child, options: PageOptions = {}) {
  const ui = uiOf(c);
  c.header("Cache-Control", "no-store");
  c.header(
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  return c.html(
    <UiContext.Provider value={ui}>
      <Shell title={title} autoRefresh={options.autoRefresh ?? false}>
        {body}
      </Shell>
    </UiContext.Provider>,
    options.status ?? 200,
  );
}

function Shell(props: { title: string; autoRefresh: boolean; children?: Child }) {
  const { locale, t, path, user } = useUi();
  const other: Locale = locale === "ar" ? "en" : "ar";
  return (
    <>
      {raw("<!doctype html>")}
      <html lang={locale} dir={locale === "ar" ? "rtl" : "ltr"}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} — ${t("siteName")}`}</title>
          <link rel="stylesheet" href="/assets/portal.css" />
          <script src="/assets/portal.js" defer />
          {props.autoRefresh ? (
            <noscript>
              <meta http-equiv="refresh" content="5" />
            </noscript>
          ) : null}
        </head>
        <body>
          <a class="skip" href="#main">
            {t("skipToContent")}
          </a>
          <header class="site">
            <a class="brand" href="/">
              {t("siteName")}
            </a>
            <Navigation user={user} />
            <div class="tools">
              <a
                href={`/lang/${other}?next=${encodeURIComponent(path)}`}
                lang={other}
                hreflang={other}
                id="language-switch"
              >
                {t("switchLanguage")}
              </a>
              {user ? (
                <form method="post" action="/logout">
                  <CsrfField />
                  <button type="submit">{t("signOut")}</button>
                </form>
              ) : null}
            </div>
          </header>
          <main id="main" tabindex={-1}>
            <h1>{props.title}</h1>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}

type NavItem = { href: string; label: MessageKey };

function navigationFor(user: PageUser | undefined): NavItem[] {
  if (!user) return [];
  switch (user.kind) {
    case "subscriber":
      return [
        { href: "/subscriber", label: "navDashboard" },
        { href: "/subscriber/months", label: "navMonths" },
        { href: "/subscriber/contact", label: "navContact" },
        { href: "/subscriber/certificates", label: "navCertificates" },
      ];
    case "establishment":
      return [
        { href: "/employer", label: "navEmployees" },
        { href: "/employer/upload", label: "navUpload" },
        { href: "/employer/invoices", label: "navInvoices" },
        { href: "/employer/payments", label: "navPayments" },
        { href: "/employer/api-keys", label: "navApiKeys" },
      ];
    case "staff": {
      const books: NavItem[] = [
        { href: "/accountant", label: "navTrialBalance" },
        { href: "/accountant/downloads", label: "navDownloads" },
        { href: "/accountant/reconciliation", label: "navReconciliation" },
      ];
      if (user.actor.role !== "AGENCY_ADMIN") return books;
      return [
        { href: "/admin", label: "navBillingRuns" },
        { href: "/admin/rates", label: "navRates" },
        { href: "/admin/fines", label: "navFines" },
        ...books,
      ];
    }
  }
}

function Navigation(props: { user: PageUser | undefined }) {
  const { t, path } = useUi();
  const items = navigationFor(props.user);
  if (items.length === 0) return null;
  const current = path.split("?")[0];
  return (
    <nav aria-label="main">
      <ul>
        {items.map((item) => (
          <li>
            <a href={item.href} aria-current={current === item.href ? "page" : undefined}>
              {t(item.label)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function CsrfField() {
  return <input type="hidden" name={CSRF_FIELD} value={useUi().csrf} />;
}

/** A hidden one-time key: the API does a form's work once however often it is submitted. */
export function FormKey(props: { value?: string | undefined }) {
  return <input type="hidden" name="formKey" value={props.value ?? crypto.randomUUID()} />;
}

/** The field an error's details point at (`json.email` → `email`), for aria-invalid and the message. */
export function problemFor(error: ApiError | undefined, field: string): string | undefined {
  if (!error) return undefined;
  const detail = error.details.find((d) => d.path === field || d.path?.endsWith(`.${field}`));
  if (detail) return detail.message;
  return fieldOfCode[error.code] === field ? describeError("en", error.code, error.message) : undefined;
}

/** Codes that are about one field, so the page can mark that field. */
const fieldOfCode: Record<string, string> = {
  ID_FORMAT_INVALID: "idNumber",
  ID_TYPE_UNKNOWN: "idNumber",
  ID_CHECK_DIGIT_INVALID: "idNumber",
  IQAMA_GIVEN_FOR_SAUDI: "idNumber",
  NATIONAL_ID_GIVEN_FOR_NON_SAUDI: "idNumber",
  EMAIL_MISMATCH: "emailConfirmation",
  PASSWORD_MISMATCH: "passwordConfirmation",
  MOBILE_MISMATCH: "mobileConfirmation",
  MOBILE_INVALID: "mobile",
  PASSWORD_TOO_WEAK: "password",
  CAPTCHA_INVALID: "captchaAnswer",
  CAPTCHA_EXPIRED: "captchaAnswer",
  TERMS_NOT_ACCEPTED: "acceptTerms",
  OTP_INVALID: "code",
  OTP_EXPIRED: "code",
  CORRECTION_REASON_REQUIRED: "correctionReason",
};

export function ErrorSummary(props: { error: ApiError | undefined }) {
  const { t, locale } = useUi();
  if (!props.error) return null;
  const { code, message, details } = props.error;
  return (
    <div class="alert error" role="alert" id="form-error" data-code={code}>
      <strong>{describeError(locale, code, message)}</strong>{" "}
      <span class="muted">
        ({t("errorCode")}: <code>{code}</code>)
      </span>
      {details.length > 0 ? (
        <ul>
          {details.map((detail) => (
            <li>
              {detail.path ? <code>{detail.path.replace(/^(json|query|form)\./, "")}</code> : null} {detail.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A form's main button, on its own line. */
export function SubmitButton(props: { label: string; id?: string }) {
  return (
    <div>
      <button class="primary" type="submit" id={props.id}>
        {props.label}
      </button>
    </div>
  );
}

/** A column header for amounts (aligned to the end, in both directions). */
export function AmountHeader(props: { children?: Child }) {
  return (
    <th scope="col" class="amount">
      {props.children}
    </th>
  );
}

export function Notice(props: { children?: Child }) {
  return (
    <div class="alert ok" role="status">
      {props.children}
    </div>
  );
}

type FieldProps = {
  name: string;
  label: string;
  type?: string;
  value?: string | undefined;
  required?: boolean;
  hint?: string;
  autocomplete?: string;
  inputmode?: string;
  error?: ApiError | undefined;
  dir?: "ltr" | "rtl";
  placeholder?: string;
  pattern?: string;
  max?: string;
};

export function Field(props: FieldProps) {
  const { t } = useUi();
  const id = `field-${props.name}`;
  const problem = problemFor(props.error, props.name);
  const described = [props.hint ? `${id}-hint` : "", problem ? `${id}-problem` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        {props.required ? <span class="muted"> ({t("required")})</span> : null}
      </label>
      {props.hint ? (
        <span class="hint" id={`${id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        required={props.required ?? false}
        autocomplete={props.autocomplete}
        inputmode={props.inputmode as never}
        dir={props.dir}
        placeholder={props.placeholder}
        pattern={props.pattern}
        max={props.max}
        aria-invalid={problem ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {problem ? (
        <span class="problem" id={`${id}-problem`}>
          {problem}
        </span>
      ) : null}
    </div>
  );
}

export function SelectField(props: {
  name: string;
  label: string;
  options: { value: string; label: string }[];
  value?: string | undefined;
  required?: boolean;
  error?: ApiError | undefined;
}) {
  const id = `field-${props.name}`;
  const problem = problemFor(props.error, props.name);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} required={props.required ?? false} aria-invalid={problem ? "true" : undefined}>
        {props.options.map((option) => (
          <option value={option.value} selected={option.value === props.value}>
            {option.label}
          </option>
        ))}
      </select>
      {problem ? <span class="problem">{problem}</span> : null}
    </div>
  );
}

export function CheckField(props: {
  name: string;
  label: string;
  checked?: boolean;
  required?: boolean;
  error?: ApiError | undefined;
}) {
  const id = `field-${props.name}`;
  const problem = problemFor(props.error, props.name);
  return (
    <div class="field">
      <div class="check">
        <input
          type="checkbox"
          id={id}
          name={props.name}
          value="true"
          checked={props.checked ?? false}
          required={props.required ?? false}
          aria-invalid={problem ? "true" : undefined}
        />
        <label for={id}>{props.label}</label>
      </div>
      {problem ? <span class="problem">{problem}</span> : null}
    </div>
  );
}

export function Money(props: { amount: string | null | undefined }) {
  const { locale } = useUi();
  if (props.amount === null || props.amount === undefined) return <span class="muted">—</span>;
  return <span data-amount={props.amount}>{formatMoney(locale, props.amount)}</span>;
}

/** A Gregorian date with the Hijri date beside it, as the agency prints dates. */
export function DateText(props: { date: string | null | undefined; hijri?: boolean }) {
  const { locale } = useUi();
  if (!props.date) return <span class="muted">—</span>;
  return (
    <time datetime={props.date.slice(0, 10)}>
      {formatDate(locale, props.date)}
      {props.hijri ? <span class="muted"> ({formatHijriDate(locale, props.date)})</span> : null}
    </time>
  );
}

export function MonthText(props: { month: string }) {
  const { locale } = useUi();
  return <time datetime={props.month}>{formatMonth(locale, props.month)}</time>;
}

/** A status as a coloured badge that also says its word, so colour is never the only signal. */
export function StatusBadge(props: { status: string }) {
  const { t } = useUi();
  const key = `status${props.status}` as MessageKey;
  const label = isMessageKey(key) ? t(key) : props.status;
  return (
    <span class={`status ${props.status}`} data-status={props.status}>
      {label}
    </span>
  );
}

function isMessageKey(key: string): key is MessageKey {
  return translator("en")(key as MessageKey) !== undefined;
}
