import { Hono } from "hono";
import { Money as Amount } from "../shared/money.js";
import type { ApiError } from "./api-client.js";
import { type PortalContext, type PortalEnv, requirePageUser, safeReturnPath } from "./context.js";
import { formatNumber } from "./format.js";
import {
  failurePage,
  formFields,
  type PortalDeps,
  pageOrFailure,
  returnPath,
  signedIn,
  signInThroughApi,
  svgDataUri,
} from "./kit.js";
import {
  AmountHeader,
  CheckField,
  CsrfField,
  DateText,
  ErrorSummary,
  Field,
  Money,
  MonthText,
  Notice,
  renderPage,
  SelectField,
  StatusBadge,
  SubmitButton,
  uiOf,
  useUi,
} from "./layout.js";
import { WageChart, type WagePoint } from "./wage-chart.js";

type Captcha = { id: string; image: string };
type Establishment = { id: string; registrationNumber: string; nameAr: string; nameEn: string };
type Profile = {
  idNumber: string;
  name: string;
  nationality: string;
  dateOfBirth: string;
  population: string;
  firstInsuredOn: string;
  email: string;
  mobile: string;
};
type Periods = {
  totalInsuredMonths: number;
  periods: {
    employmentId: string;
    establishment: Establishment;
    occupation: string;
    startDate: string;
    endDate: string | null;
    fullMonths: number;
    partMonthDays: number;
  }[];
};
type Wages = {
  employments: {
    employmentId: string;
    establishment: Establishment;
    wages: {
      effectiveMonth: string;
      basic: string;
      housing: string;
      otherAllowances: string;
      contributoryWage: string;
      isCorrection: boolean;
    }[];
  }[];
};
type Months = {
  asOf: string;
  employments: { employmentId: string; establishment: Establishment }[];
  months: {
    month: string;
    employmentId: string;
    daysInService: number;
    contributoryWage: string | null;
    employeeShare: string;
    employerShare: string;
    status: string;
    invoices: { number: string; dueDate: string; paid: boolean }[];
  }[];
};
type Certificates = { certificates: { id: string; number: string; verificationCode: string; issuedAt: string }[] };

/** Registration values typed so far, put back into the form after an error (never the passwords). */
type Draft = Partial<Record<string, string>>;

function EstablishmentName(props: { establishment: Establishment }) {
  const { locale } = useUi();
  return <>{locale === "ar" ? props.establishment.nameAr : props.establishment.nameEn}</>;
}

export function subscriberPages(deps: PortalDeps) {
  const { callApi } = deps;
  const app = new Hono<PortalEnv>();
  const signedInOnly = requirePageUser("subscriber", deps.authenticate);
  // In Hono "/x/*" also matches "/x", so each path is listed once.
  for (const path of ["/subscriber", "/subscriber/months", "/subscriber/contact/*", "/subscriber/certificates/*"])
    app.use(path, signedInOnly);

  const newCaptcha = async (c: PortalContext) => {
    const captcha = await callApi<Captcha>(c, { method: "POST", path: "/v1/captchas" });
    return captcha.ok ? captcha.data : undefined;
  };

  // ---- registration: details (with captcha), then the SMS code ----
  const registrationForm = async (c: PortalContext, draft: Draft, error?: ApiError) => {
    const { t } = uiOf(c);
    const captcha = await newCaptcha(c);
    return renderPage(
      c,
      t("registerTitle"),
      <>
        <Steps current={1} />
        <ErrorSummary error={error} />
        <form method="post" action="/subscriber/register" class="stack card" novalidate>
          <CsrfField />
          <SelectField
            name="nationality"
            label={t("nationality")}
            value={draft.nationality ?? "SAUDI"}
            options={[
              { value: "SAUDI", label: t("nationalitySaudi") },
              { value: "NON_SAUDI", label: t("nationalityNonSaudi") },
            ]}
            error={error}
          />
          <Field
            name="idNumber"
            label={t("idNumber")}
            hint={t("idNumberHint")}
            value={draft.idNumber}
            required
            inputmode="numeric"
            dir="ltr"
            autocomplete="username"
            error={error}
          />
          <Field
            name="dateOfBirth"
            label={t("dateOfBirth")}
            hint={t("dateOfBirthHint")}
            type="date"
            value={draft.dateOfBirth}
            required
            error={error}
          />
          <Field
            name="email"
            label={t("email")}
            type="email"
            value={draft.email}
            required
            dir="ltr"
            autocomplete="email"
            error={error}
          />
          <Field
            name="emailConfirmation"
            label={t("emailConfirmation")}
            type="email"
            value={draft.emailConfirmation}
            required
            dir="ltr"
            error={error}
          />
          <NewPasswordFields label={t("password")} error={error} />
          <Field
            name="mobile"
            label={t("mobile")}
            hint={t("mobileHint")}
            type="tel"
            value={draft.mobile}
            required
            dir="ltr"
            autocomplete="tel"
            error={error}
          />
          <Field
            name="mobileConfirmation"
            label={t("mobileConfirmation")}
            type="tel"
            value={draft.mobileConfirmation}
            required
            dir="ltr"
            error={error}
          />
          <CaptchaField captcha={captcha} error={error} />
          <CheckField
            name="acceptTerms"
            label={t("acceptTerms")}
            checked={draft.acceptTerms === "true"}
            required
            error={error}
          />
          <SubmitButton label={t("registerButton")} />
        </form>
        <p>
          <a href="/subscriber/login">{t("signInTitle")}</a>
        </p>
      </>,
      { status: error ? (error.status === 404 ? 404 : error.status === 409 ? 409 : 400) : 200 },
    );
  };

  app.get("/subscriber/register", (c) => registrationForm(c, {}));

  app.post("/subscriber/register", async (c) => {
    const form = await formFields(c);
    const started = await callApi<{ registrationId: string; codeSentTo: string }>(c, {
      method: "POST",
      path: "/v1/subscriber-registrations",
      json: {
        idNumber: form.idNumber ?? "",
        nationality: form.nationality ?? "SAUDI",
        dateOfBirth: form.dateOfBirth ?? "",
        email: form.email ?? "",
        emailConfirmation: form.emailConfirmation ?? "",
        password: form.password ?? "",
        passwordConfirmation: form.passwordConfirmation ?? "",
        mobile: form.mobile ?? "",
        mobileConfirmation: form.mobileConfirmation ?? "",
        captchaId: form.captchaId ?? "",
        captchaAnswer: form.captchaAnswer ?? "",
        acceptTerms: form.acceptTerms === "true",
      },
    });
    if (!started.ok) {
      const { password: _password, passwordConfirmation: _confirmation, captchaAnswer: _answer, ...draft } = form;
      return registrationForm(c, draft, started.error);
    }
    const to = encodeURIComponent(started.data.codeSentTo);
    return c.redirect(`/subscriber/register/${encodeURIComponent(started.data.registrationId)}?to=${to}`, 303);
  });

  const codeForm = (c: PortalContext, registrationId: string, options: { error?: ApiError; resent?: boolean }) => {
    const { t } = uiOf(c);
    const to = c.req.query("to") ?? "";
    const action = `/subscriber/register/${encodeURIComponent(registrationId)}`;
    return renderPage(
      c,
      t("codeTitle"),
      <>
        <Steps current={2} />
        {options.resent ? <Notice>{t("codeResent")}</Notice> : null}
        <ErrorSummary error={options.error} />
        <p>{t("codeSentTo", { mobile: to })}</p>
        <form method="post" action={`${action}?to=${encodeURIComponent(to)}`} class="stack card">
          <CsrfField />
          <OneTimeCodeField error={options.error} />
          <SubmitButton label={t("confirmButton")} />
        </form>
        <form method="post" action={`${action}/resend?to=${encodeURIComponent(to)}`}>
          <CsrfField />
          <button class="secondary" type="submit">
            {t("resendCode")}
          </button>
        </form>
      </>,
      { status: options.error ? (options.error.status === 429 ? 429 : 400) : 200 },
    );
  };

  app.get("/subscriber/register/:registrationId", (c) => codeForm(c, c.req.param("registrationId"), {}));

  app.post("/subscriber/register/:registrationId", async (c) => {
    const registrationId = c.req.param("registrationId");
    const form = await formFields(c);
    // Confirming the code completes the registration and opens the subscriber's first session.
    const signed = await signInThroughApi(
      c,
      callApi,
      `/v1/subscriber-registrations/${encodeURIComponent(registrationId)}/confirmation`,
      { code: (form.code ?? "").trim() },
    );
    if (!signed.ok) return codeForm(c, registrationId, { error: signed.error });
    return c.redirect("/subscriber?welcome=1", 303);
  });

  app.post("/subscriber/register/:registrationId/resend", async (c) => {
    const registrationId = c.req.param("registrationId");
    const sent = await callApi(c, {
      method: "POST",
      path: `/v1/subscriber-registrations/${encodeURIComponent(registrationId)}/code`,
    });
    return sent.ok ? codeForm(c, registrationId, { resent: true }) : codeForm(c, registrationId, { error: sent.error });
  });

  // ---- sign-in and password reset ----
  const loginForm = (c: PortalContext, error?: ApiError, notice?: string) => {
    const { t } = uiOf(c);
    const next = safeReturnPath(c.req.query("next"));
    return renderPage(
      c,
      t("subscriberSignInTitle"),
      <>
        {notice ? <Notice>{notice}</Notice> : null}
        <ErrorSummary error={error} />
        <form method="post" action={`/subscriber/login?next=${encodeURIComponent(next)}`} class="stack card">
          <CsrfField />
          <Field name="idNumber" label={t("idNumber")} required inputmode="numeric" dir="ltr" autocomplete="username" />
          <Field name="password" label={t("password")} type="password" required autocomplete="current-password" />
          <SubmitButton label={t("signInButton")} />
        </form>
        <p class="actions">
          <a href="/subscriber/register">{t("noAccount")}</a>
          <a href="/subscriber/forgot">{t("forgotPassword")}</a>
        </p>
      </>,
      { status: error ? (error.status === 429 ? 429 : 401) : 200 },
    );
  };

  app.get("/subscriber/login", (c) =>
    loginForm(c, undefined, c.req.query("reset") === "1" ? uiOf(c).t("resetDone") : undefined),
  );

  app.post("/subscriber/login", async (c) => {
    const form = await formFields(c);
    const signed = await signInThroughApi(c, callApi, "/v1/auth/subscriber/sessions", {
      idNumber: form.idNumber ?? "",
      password: form.password ?? "",
    });
    if (!signed.ok) return loginForm(c, signed.error);
    return c.redirect(returnPath(c, "/subscriber"), 303);
  });

  const forgotForm = async (c: PortalContext, error?: ApiError) => {
    const { t } = uiOf(c);
    const captcha = await newCaptcha(c);
    return renderPage(
      c,
      t("forgotTitle"),
      <>
        <ErrorSummary error={error} />
        <p>{t("forgotText")}</p>
        <form method="post" action="/subscriber/forgot" class="stack card">
          <CsrfField />
          <Field name="idNumber" label={t("idNumber")} required inputmode="numeric" dir="ltr" error={error} />
          <CaptchaField captcha={captcha} error={error} />
          <SubmitButton label={t("sendCode")} />
        </form>
      </>,
      { status: error ? 400 : 200 },
    );
  };

  app.get("/subscriber/forgot", (c) => forgotForm(c));

  app.post("/subscriber/forgot", async (c) => {
    const form = await formFields(c);
    const started = await callApi<{ resetId: string }>(c, {
      method: "POST",
      path: "/v1/subscriber-password-resets",
      json: { idNumber: form.idNumber ?? "", captchaId: form.captchaId ?? "", captchaAnswer: form.captchaAnswer ?? "" },
    });
    if (!started.ok) return forgotForm(c, started.error);
    return c.redirect(`/subscriber/forgot/${encodeURIComponent(started.data.resetId)}`, 303);
  });

  const resetForm = (c: PortalContext, error?: ApiError) => {
    const { t } = uiOf(c);
    return renderPage(
      c,
      t("forgotTitle"),
      <>
        <ErrorSummary error={error} />
        <form
          method="post"
          action={`/subscriber/forgot/${encodeURIComponent(c.req.param("resetId") ?? "")}`}
          class="stack card"
        >
          <CsrfField />
          <OneTimeCodeField error={error} />
          <NewPasswordFields label={t("newPassword")} error={error} />
          <SubmitButton label={t("save")} />
        </form>
      </>,
      { status: error ? 400 : 200 },
    );
  };

  app.get("/subscriber/forgot/:resetId", (c) => resetForm(c));

  app.post("/subscriber/forgot/:resetId", async (c) => {
    const form = await formFields(c);
    const done = await callApi(c, {
      method: "POST",
      path: `/v1/subscriber-password-resets/${encodeURIComponent(c.req.param("resetId"))}/confirmation`,
      json: {
        code: (form.code ?? "").trim(),
        password: form.password ?? "",
        passwordConfirmation: form.passwordConfirmation ?? "",
      },
    });
    if (!done.ok) return resetForm(c, done.error);
    return c.redirect("/subscriber/login?reset=1", 303);
  });

  // ---- signed in: dashboard, months, contact details, certificates ----
  app.get("/subscriber", async (c) => {
    const { t, locale } = uiOf(c);
    const token = signedIn(c).token;
    const [profile, periods, wages, months] = await Promise.all([
      callApi<Profile>(c, { path: "/v1/subscribers/me", token }),
      callApi<Periods>(c, { path: "/v1/subscribers/me/contribution-periods", token }),
      callApi<Wages>(c, { path: "/v1/subscribers/me/wages", token }),
      callApi<Months>(c, { path: "/v1/subscribers/me/contribution-months", token }),
    ]);
    if (!profile.ok) return failurePage(c, profile.error);
    if (!periods.ok) return failurePage(c, periods.error);
    if (!wages.ok) return failurePage(c, wages.error);
    if (!months.ok) return failurePage(c, months.error);
    const person = profile.data;
    return renderPage(
      c,
      t("dashboardTitle"),
      <>
        {c.req.query("welcome") === "1" ? <Notice>{t("registrationDone")}</Notice> : null}
        <section class="card" aria-labelledby="profile-heading">
          <h2 id="profile-heading">{t("profile")}</h2>
          <div class="grid">
            <div>
              <div class="muted">{t("name")}</div>
              <div id="subscriber-name">{person.name}</div>
            </div>
            <div>
              <div class="muted">{t("idNumber")}</div>
              <div dir="ltr">{person.idNumber}</div>
            </div>
            <div>
              <div class="muted">{t("firstInsuredOn")}</div>
              <DateText date={person.firstInsuredOn} hijri />
            </div>
            <div>
              <div class="muted">{t("totalInsuredMonths")}</div>
              <div class="figure" id="total-insured-months">
                {formatNumber(locale, periods.data.totalInsuredMonths)}
              </div>
            </div>
          </div>
        </section>
        <section class="card" aria-labelledby="periods-heading">
          <h2 id="periods-heading">{t("periodsTitle")}</h2>
          <div class="table-wrap">
            <table id="periods">
              <thead>
                <tr>
                  <th scope="col">{t("establishment")}</th>
                  <th scope="col">{t("occupation")}</th>
                  <th scope="col">{t("startDate")}</th>
                  <th scope="col">{t("endDate")}</th>
                  <th scope="col">{t("duration")}</th>
                </tr>
              </thead>
              <tbody>
                {periods.data.periods.map((period) => (
                  <tr>
                    <td>
                      <EstablishmentName establishment={period.establishment} />
                    </td>
                    <td>{period.occupation}</td>
                    <td>
                      <DateText date={period.startDate} hijri />
                    </td>
                    <td>{period.endDate ? <DateText date={period.endDate} hijri /> : t("ongoing")}</td>
                    <td>
                      {t("monthsAndDays", {
                        months: formatNumber(locale, period.fullMonths),
                        days: formatNumber(locale, period.partMonthDays),
                      })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <section class="card chart" aria-labelledby="chart-heading">
          <h2 id="chart-heading">{t("chartTitle")}</h2>
          <WageChart
            points={wagePoints(months.data, wages.data)}
            locale={locale}
            title={t("chartTitle")}
            empty={t("chartEmpty")}
          />
        </section>
        <section class="card" aria-labelledby="wages-heading">
          <h2 id="wages-heading">{t("wagesTitle")}</h2>
          {wages.data.employments.map((employment) => (
            <div class="table-wrap">
              <h3>
                <EstablishmentName establishment={employment.establishment} />
              </h3>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("effectiveMonth")}</th>
                    <AmountHeader>{t("basic")}</AmountHeader>
                    <AmountHeader>{t("housing")}</AmountHeader>
                    <AmountHeader>{t("otherAllowances")}</AmountHeader>
                    <AmountHeader>{t("contributoryWage")}</AmountHeader>
                  </tr>
                </thead>
                <tbody>
                  {employment.wages.map((wage) => (
                    <tr>
                      <td>
                        <MonthText month={wage.effectiveMonth} />
                        {wage.isCorrection ? <span class="muted"> ({t("correction")})</span> : null}
                      </td>
                      <td class="amount">
                        <Money amount={wage.basic} />
                      </td>
                      <td class="amount">
                        <Money amount={wage.housing} />
                      </td>
                      <td class="amount">
                        <Money amount={wage.otherAllowances} />
                      </td>
                      <td class="amount">
                        <Money amount={wage.contributoryWage} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </section>
      </>,
    );
  });

  app.get("/subscriber/months", async (c) => {
    const { t, locale } = uiOf(c);
    const from = c.req.query("from");
    const to = c.req.query("to");
    const query = new URLSearchParams();
    if (from) query.set("from", from);
    if (to) query.set("to", to);
    const months = await callApi<Months>(c, {
      path: `/v1/subscribers/me/contribution-months${query.size > 0 ? `?${query}` : ""}`,
      token: signedIn(c).token,
    });
    return pageOrFailure(c, months, (data) => {
      const establishments = new Map(data.employments.map((e) => [e.employmentId, e.establishment]));
      const anyOverdue = data.months.some((month) => month.status === "OVERDUE");
      return renderPage(
        c,
        t("monthsTitle"),
        <>
          <p>{t("monthsIntro")}</p>
          <form method="get" action="/subscriber/months" class="inline card">
            <Field name="from" label={t("from")} type="month" value={from} />
            <Field name="to" label={t("to")} type="month" value={to} />
            <button class="secondary" type="submit">
              {t("show")}
            </button>
          </form>
          {anyOverdue ? (
            <div class="alert error" role="alert">
              {t("overdueAdvice")}
            </div>
          ) : null}
          <div class="table-wrap">
            <table id="months">
              <thead>
                <tr>
                  <th scope="col">{t("month")}</th>
                  <th scope="col">{t("establishment")}</th>
                  <th scope="col">{t("daysInService")}</th>
                  <AmountHeader>{t("contributoryWage")}</AmountHeader>
                  <AmountHeader>{t("employeeShare")}</AmountHeader>
                  <AmountHeader>{t("employerShare")}</AmountHeader>
                  <th scope="col">{t("paymentStatus")}</th>
                  <th scope="col">{t("invoice")}</th>
                </tr>
              </thead>
              <tbody>
                {[...data.months].reverse().map((row) => {
                  const establishment = establishments.get(row.employmentId);
                  return (
                    <tr data-month={row.month} data-status={row.status}>
                      <td>
                        <MonthText month={row.month} />
                      </td>
                      <td>{establishment ? <EstablishmentName establishment={establishment} /> : null}</td>
                      <td>{formatNumber(locale, row.daysInService)}</td>
                      <td class="amount">
                        <Money amount={row.contributoryWage} />
                      </td>
                      <td class="amount">
                        <Money amount={row.employeeShare} />
                      </td>
                      <td class="amount">
                        <Money amount={row.employerShare} />
                      </td>
                      <td>
                        <StatusBadge status={row.status} />
                      </td>
                      <td>
                        {row.invoices.map((invoice) => (
                          <div dir="ltr">{invoice.number}</div>
                        ))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>,
      );
    });
  });

  const contactPage = async (c: PortalContext, options: { error?: ApiError; kind?: "mobile" | "email" } = {}) => {
    const { t } = uiOf(c);
    const profile = await callApi<Profile>(c, { path: "/v1/subscribers/me", token: signedIn(c).token });
    return pageOrFailure(c, profile, (person) =>
      renderPage(
        c,
        t("contactTitle"),
        <>
          {c.req.query("changed") === "1" ? <Notice>{t("contactChanged")}</Notice> : null}
          <ErrorSummary error={options.error} />
          <section class="card">
            <p>
              {t("currentMobile")}: <span dir="ltr">{person.mobile}</span>
            </p>
            <p>
              {t("currentEmail")}: <span dir="ltr">{person.email}</span>
            </p>
          </section>
          <section class="card" aria-labelledby="mobile-heading">
            <h2 id="mobile-heading">{t("changeMobile")}</h2>
            <form method="post" action="/subscriber/contact/mobile" class="stack">
              <CsrfField />
              <Field name="mobile" label={t("newMobile")} type="tel" dir="ltr" required />
              <Field name="mobileConfirmation" label={t("mobileConfirmation")} type="tel" dir="ltr" required />
              <Field name="password" label={t("currentPassword")} type="password" required />
              <SubmitButton label={t("requestChange")} />
            </form>
          </section>
          <section class="card" aria-labelledby="email-heading">
            <h2 id="email-heading">{t("changeEmail")}</h2>
            <form method="post" action="/subscriber/contact/email" class="stack">
              <CsrfField />
              <Field name="email" label={t("newEmail")} type="email" dir="ltr" required />
              <Field name="emailConfirmation" label={t("emailConfirmation")} type="email" dir="ltr" required />
              <Field name="password" label={t("currentPassword")} type="password" required />
              <SubmitButton label={t("requestChange")} />
            </form>
          </section>
        </>,
        { status: options.error ? 400 : 200 },
      ),
    );
  };

  app.get("/subscriber/contact", (c) => contactPage(c));

  for (const kind of ["mobile", "email"] as const) {
    app.post(`/subscriber/contact/${kind}`, async (c) => {
      const form = await formFields(c);
      const json =
        kind === "mobile"
          ? {
              mobile: form.mobile ?? "",
              mobileConfirmation: form.mobileConfirmation ?? "",
              password: form.password ?? "",
            }
          : { email: form.email ?? "", emailConfirmation: form.emailConfirmation ?? "", password: form.password ?? "" };
      const change = await callApi<{ changeId: string; codeSentTo: string }>(c, {
        method: "POST",
        path: `/v1/subscribers/me/${kind}-changes`,
        token: signedIn(c).token,
        json,
      });
      if (!change.ok) return contactPage(c, { error: change.error, kind });
      const to = encodeURIComponent(change.data.codeSentTo);
      return c.redirect(`/subscriber/contact/${kind}/${encodeURIComponent(change.data.changeId)}?to=${to}`, 303);
    });

    const confirmChangeForm = (c: PortalContext, error?: ApiError) => {
      const { t } = uiOf(c);
      const to = c.req.query("to") ?? "";
      return renderPage(
        c,
        t("codeTitle"),
        <>
          <ErrorSummary error={error} />
          <p>{t("codeSentTo", { mobile: to })}</p>
          <form
            method="post"
            action={`/subscriber/contact/${kind}/${encodeURIComponent(c.req.param("changeId") ?? "")}?to=${encodeURIComponent(to)}`}
            class="stack card"
          >
            <CsrfField />
            <OneTimeCodeField error={error} />
            <SubmitButton label={t("confirmButton")} />
          </form>
        </>,
        { status: error ? 400 : 200 },
      );
    };

    app.get(`/subscriber/contact/${kind}/:changeId`, (c) => confirmChangeForm(c));
    app.post(`/subscriber/contact/${kind}/:changeId`, async (c) => {
      const form = await formFields(c);
      const done = await callApi(c, {
        method: "POST",
        path: `/v1/subscribers/me/${kind}-changes/${encodeURIComponent(c.req.param("changeId"))}/confirmation`,
        token: signedIn(c).token,
        json: { code: (form.code ?? "").trim() },
      });
      if (!done.ok) return confirmChangeForm(c, done.error);
      return c.redirect("/subscriber/contact?changed=1", 303);
    });
  }

  const certificatesPage = async (c: PortalContext, error?: ApiError) => {
    const { t } = uiOf(c);
    const list = await callApi<Certificates>(c, {
      path: "/v1/subscribers/me/certificates",
      token: signedIn(c).token,
    });
    return pageOrFailure(c, list, (data) =>
      renderPage(
        c,
        t("certificatesTitle"),
        <>
          {c.req.query("issued") === "1" ? <Notice>{t("certificateIssued")}</Notice> : null}
          <ErrorSummary error={error} />
          <p>{t("certificatesIntro")}</p>
          <form method="post" action="/subscriber/certificates" class="card">
            <CsrfField />
            <button class="primary" type="submit">
              {t("issueCertificate")}
            </button>
          </form>
          <table id="certificates">
            <thead>
              <tr>
                <th scope="col">{t("invoiceNumber")}</th>
                <th scope="col">{t("issuedAt")}</th>
                <th scope="col">{t("verificationCode")}</th>
                <th scope="col">{t("download")}</th>
              </tr>
            </thead>
            <tbody>
              {data.certificates.map((certificate) => (
                <tr>
                  <td dir="ltr">{certificate.number}</td>
                  <td>
                    <DateText date={certificate.issuedAt} hijri />
                  </td>
                  <td dir="ltr">
                    <code>{certificate.verificationCode}</code>
                  </td>
                  <td>
                    <a href={`/v1/subscribers/me/certificates/${encodeURIComponent(certificate.id)}/pdf`} download>
                      {t("downloadPdf")}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>,
        { status: error ? 400 : 200 },
      ),
    );
  };

  app.get("/subscriber/certificates", (c) => certificatesPage(c));
  app.post("/subscriber/certificates", async (c) => {
    const issued = await callApi(c, {
      method: "POST",
      path: "/v1/subscribers/me/certificates",
      token: signedIn(c).token,
      json: {},
    });
    if (!issued.ok) return certificatesPage(c, issued.error);
    return c.redirect("/subscriber/certificates?issued=1", 303);
  });

  return app;
}

/**
 * Each month's contributory wage across employers (the chart's one line): the wage an invoice
 * charged where the month is billed, otherwise the registered wage in force that month.
 */
function wagePoints(months: Months, wages: Wages): WagePoint[] {
  const registered = new Map(
    wages.employments.map((employment) => [
      employment.employmentId,
      [...employment.wages].sort((a, b) => a.effectiveMonth.localeCompare(b.effectiveMonth)),
    ]),
  );
  const inForce = (employmentId: string, month: string) =>
    registered
      .get(employmentId)
      ?.filter((wage) => wage.effectiveMonth <= month)
      .at(-1)?.contributoryWage;
  const byMonth = new Map<string, Amount>();
  for (const row of months.months) {
    const wage = row.contributoryWage ?? inForce(row.employmentId, row.month);
    if (wage === undefined) continue;
    byMonth.set(row.month, (byMonth.get(row.month) ?? Amount.zero).plus(Amount.sar(wage)));
  }
  return [...byMonth.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([month, wage]) => ({ month, wage: wage.toString() }));
}

function Steps(props: { current: 1 | 2 | 3 }) {
  const { t } = useUi();
  const steps = [t("stepDetails"), t("stepCode"), t("stepDone")];
  return (
    <ol class="steps">
      {steps.map((label, index) => (
        <li aria-current={index + 1 === props.current ? "step" : undefined}>{label}</li>
      ))}
    </ol>
  );
}

/** A new password and its confirmation, with the policy as the hint. */
function NewPasswordFields(props: { label: string; error: ApiError | undefined }) {
  const { t } = useUi();
  return (
    <>
      <Field
        name="password"
        label={props.label}
        hint={t("passwordHint")}
        type="password"
        required
        autocomplete="new-password"
        error={props.error}
      />
      <Field
        name="passwordConfirmation"
        label={t("passwordConfirmation")}
        type="password"
        required
        autocomplete="new-password"
        error={props.error}
      />
    </>
  );
}

/** The six-digit code a text message brought. */
function OneTimeCodeField(props: { error: ApiError | undefined }) {
  const { t } = useUi();
  return (
    <Field
      name="code"
      label={t("code")}
      required
      inputmode="numeric"
      autocomplete="one-time-code"
      dir="ltr"
      pattern="[0-9]{6}"
      error={props.error}
    />
  );
}

function CaptchaField(props: { captcha: Captcha | undefined; error: ApiError | undefined }) {
  const { t } = useUi();
  if (!props.captcha) return null;
  return (
    <div class="captcha">
      <input type="hidden" name="captchaId" value={props.captcha.id} />
      <img src={svgDataUri(props.captcha.image)} alt={t("captchaImage")} id="captcha-image" width="150" height="50" />
      <Field name="captchaAnswer" label={t("captcha")} required dir="ltr" autocomplete="off" error={props.error} />
    </div>
  );
}
