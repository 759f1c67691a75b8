import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ApiError, ApiResult } from "./api-client.js";
import { type PortalContext, type PortalEnv, requirePageUser } from "./context.js";
import { formatMoney, formatNumber } from "./format.js";
import {
  emailSignInPage,
  failurePage,
  formFields,
  normaliseDigits,
  type PortalDeps,
  pageOrFailure,
  returnPath,
  signedIn,
  signInThroughApi,
} from "./kit.js";
import {
  AmountHeader,
  CheckField,
  CsrfField,
  DateText,
  ErrorSummary,
  Field,
  FormKey,
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

/** The largest CSV the upload page takes; bigger files go through the direct link's streamed API. */
export const PORTAL_UPLOAD_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Caps the upload page's body before anything reads it (the form check included); a larger file
 * gets the page's own 413 explaining the direct link.
 */
export function uploadBodyLimit() {
  return bodyLimit({
    maxSize: PORTAL_UPLOAD_LIMIT_BYTES,
    onError: (c) => {
      const { t } = uiOf(c as PortalContext);
      return renderPage(
        c as PortalContext,
        t("uploadTitle"),
        <ErrorSummary
          error={{
            status: 413,
            code: "PAYLOAD_TOO_LARGE",
            message: `the page takes files up to ${PORTAL_UPLOAD_LIMIT_BYTES / 1024 / 1024} MB; the direct link API takes larger ones`,
            details: [],
          }}
        />,
        { status: 413 },
      );
    },
  });
}

type EmployeeRow = {
  id: string;
  idNumber: string;
  name: string;
  nationality: string;
  occupation: string;
  startDate: string;
  endDate: string | null;
  contributoryWage: string | null;
};
type Employee = {
  id: string;
  idNumber: string;
  name: string;
  nationality: string;
  population: string;
  dateOfBirth: string;
  employments: {
    id: string;
    occupation: string;
    startDate: string;
    endDate: string | null;
    endReason: string | null;
    wages: {
      effectiveMonth: string;
      basic: string;
      housing: string;
      otherAllowances: string;
      contributoryWage: string;
      isRetroactiveCorrection: boolean;
      correctionReason: string | null;
    }[];
  }[];
};
type Branch = { branch: string; employer: string; employee: string; total: string };
type Invoice = {
  id: string;
  number: string;
  month: string;
  issueDate: string;
  dueDate: string;
  status: string;
  totals: {
    contributions: string;
    employerShare: string;
    employeeShare: string;
    adjustments: string;
    finesAssessed: string;
    finesWaived: string;
    settled: string;
    outstanding: string;
  };
  branches: Branch[];
  lineCounts: { contributions: number; adjustments: number };
};
type InvoiceLine = {
  lineNumber: number;
  kind: "CONTRIBUTION" | "ADJUSTMENT";
  month: string;
  idNumber: string;
  name: string;
  daysInService: number;
  contributoryWage: string;
  chargeableWage: string;
  employerTotal: string;
  employeeTotal: string;
  total: string;
};
type Payment = {
  id: string;
  stripePaymentIntentId: string;
  invoiceId: string | null;
  amount: string;
  fee: string;
  refunded: string;
  receivedAt: string;
};
type Attempt = { id: string; invoiceId: string; amount: string; status: string; createdAt: string };
type ApiKey = { id: string; name: string; displayPrefix: string; createdAt: string; lastUsedAt: string | null };

const nationalities = ["SAUDI", "GCC", "OTHER"] as const;
const endReasons = ["RESIGNATION", "TERMINATION", "CONTRACT_END", "RETIREMENT", "DEATH", "TRANSFER", "OTHER"] as const;

export function employerPages(deps: PortalDeps) {
  const { callApi } = deps;
  const app = new Hono<PortalEnv>();
  const signedInOnly = requirePageUser("employer", deps.authenticate);
  app.use("/employer", signedInOnly);
  for (const area of ["employees", "upload", "invoices", "payments", "api-keys"])
    app.use(`/employer/${area}/*`, signedInOnly);

  /** The signed-in admin's establishment, as the API paths name it. */
  const base = (c: PortalContext) => {
    const user = signedIn(c);
    if (user.kind !== "establishment") throw new Error("an employer page without an establishment session");
    return { token: user.token, path: `/v1/establishments/${encodeURIComponent(user.actor.establishmentId)}` };
  };

  // ---- sign-in ----
  const loginForm = (c: PortalContext, error?: ApiError) =>
    emailSignInPage(c, {
      title: uiOf(c).t("employerSignInTitle"),
      action: "/employer/login",
      error,
      footer: (
        <p>
          <a href="/employer/register">{uiOf(c).t("registerEstablishmentTitle")}</a>
        </p>
      ),
    });
  app.get("/employer/login", (c) => loginForm(c));
  app.post("/employer/login", async (c) => {
    const form = await formFields(c);
    const signed = await signInThroughApi(c, callApi, "/v1/auth/establishment/sessions", {
      email: form.email ?? "",
      password: form.password ?? "",
    });
    if (!signed.ok) return loginForm(c, signed.error);
    return c.redirect(returnPath(c, "/employer"), 303);
  });

  // ---- a new establishment registers itself and its first admin ----
  const registrationForm = (c: PortalContext, draft: Record<string, string>, error?: ApiError) => {
    const { t } = uiOf(c);
    return renderPage(
      c,
      t("registerEstablishmentTitle"),
      <>
        <ErrorSummary error={error} />
        <form method="post" action="/employer/register" class="stack card">
          <CsrfField />
          <FormKey value={draft.formKey} />
          <Field name="nameAr" label={t("establishmentNameAr")} value={draft.nameAr} required dir="rtl" error={error} />
          <Field name="nameEn" label={t("establishmentNameEn")} value={draft.nameEn} required dir="ltr" error={error} />
          <Field
            name="unifiedNumber"
            label={t("unifiedNumber")}
            hint={t("unifiedNumberHint")}
            value={draft.unifiedNumber}
            dir="ltr"
            inputmode="numeric"
            error={error}
          />
          <Field
            name="commercialRegistration"
            label={t("commercialRegistration")}
            value={draft.commercialRegistration}
            dir="ltr"
            inputmode="numeric"
            error={error}
          />
          <Field name="city" label={t("city")} value={draft.city} required error={error} />
          <Field
            name="contactEmail"
            label={t("contactEmail")}
            type="email"
            value={draft.contactEmail}
            required
            dir="ltr"
            error={error}
          />
          <Field
            name="contactMobile"
            label={t("mobile")}
            type="tel"
            value={draft.contactMobile}
            required
            dir="ltr"
            error={error}
          />
          <Field
            name="adminEmail"
            label={t("adminEmail")}
            type="email"
            value={draft.adminEmail}
            required
            dir="ltr"
            autocomplete="username"
            error={error}
          />
          <Field
            name="adminPassword"
            label={t("password")}
            type="password"
            required
            autocomplete="new-password"
            error={error}
          />
          <SubmitButton label={t("registerButton")} />
        </form>
      </>,
      { status: error ? (error.status === 409 ? 409 : 400) : 200 },
    );
  };
  app.get("/employer/register", (c) => registrationForm(c, {}));
  app.post("/employer/register", async (c) => {
    const form = await formFields(c);
    const registered = await callApi(c, {
      method: "POST",
      path: "/v1/establishments",
      idempotencyKey: form.formKey,
      json: {
        nameAr: form.nameAr ?? "",
        nameEn: form.nameEn ?? "",
        ...(form.unifiedNumber ? { unifiedNumber: normaliseDigits(form.unifiedNumber) } : {}),
        ...(form.commercialRegistration
          ? { commercialRegistration: normaliseDigits(form.commercialRegistration) }
          : {}),
        contactEmail: form.contactEmail ?? "",
        contactMobile: normaliseDigits(form.contactMobile),
        city: form.city ?? "",
        admin: { email: form.adminEmail ?? "", password: form.adminPassword ?? "" },
      },
    });
    if (!registered.ok) {
      const { adminPassword: _password, ...draft } = form;
      return registrationForm(c, { ...draft, formKey: crypto.randomUUID() }, registered.error);
    }
    const signed = await signInThroughApi(c, callApi, "/v1/auth/establishment/sessions", {
      email: form.adminEmail ?? "",
      password: form.adminPassword ?? "",
    });
    return c.redirect(signed.ok ? "/employer" : "/employer/login", 303);
  });

  // ---- employees: list with filters, add, end, wage ----
  app.get("/employer", async (c) => {
    const { t } = uiOf(c);
    const { token, path } = base(c);
    const filters = {
      idNumber: normaliseDigits(c.req.query("idNumber")),
      nationality: c.req.query("nationality") ?? "",
      activeIn: c.req.query("activeIn") ?? "",
      cursor: c.req.query("cursor") ?? "",
    };
    const query = new URLSearchParams({ limit: "50" });
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    const list = await callApi<{ employees: EmployeeRow[]; nextCursor: string | null }>(c, {
      path: `${path}/employees?${query}`,
      token,
    });
    return pageOrFailure(c, list, (data) => {
      const nextQuery = new URLSearchParams(query);
      nextQuery.delete("limit");
      if (data.nextCursor) nextQuery.set("cursor", data.nextCursor);
      return renderPage(
        c,
        t("employeesTitle"),
        <>
          {c.req.query("registered") === "1" ? <Notice>{t("employeeRegistered")}</Notice> : null}
          <p class="actions">
            <a class="button" href="/employer/employees/new">
              {t("addEmployee")}
            </a>
            <a href="/employer/upload">{t("navUpload")}</a>
          </p>
          <form method="get" action="/employer" class="inline card" aria-label="search">
            <Field name="idNumber" label={t("filterIdNumber")} value={filters.idNumber} dir="ltr" inputmode="numeric" />
            <SelectField
              name="nationality"
              label={t("filterNationality")}
              value={filters.nationality}
              options={[
                { value: "", label: t("all") },
                ...nationalities.map((n) => ({ value: n, label: t(`nationality${n}`) })),
              ]}
            />
            <Field name="activeIn" label={t("filterMonth")} type="month" value={filters.activeIn} />
            <button class="secondary" type="submit">
              {t("search")}
            </button>
          </form>
          {data.employees.length === 0 ? (
            <p>{t("noEmployees")}</p>
          ) : (
            <div class="table-wrap">
              <table id="employees">
                <thead>
                  <tr>
                    <th scope="col">{t("name")}</th>
                    <th scope="col">{t("idNumber")}</th>
                    <th scope="col">{t("nationality")}</th>
                    <th scope="col">{t("occupation")}</th>
                    <th scope="col">{t("startDate")}</th>
                    <th scope="col">{t("endDate")}</th>
                    <AmountHeader>{t("contributoryWage")}</AmountHeader>
                  </tr>
                </thead>
                <tbody>
                  {data.employees.map((employee) => (
                    <tr data-id-number={employee.idNumber}>
                      <td>
                        <a href={`/employer/employees/${encodeURIComponent(employee.id)}`}>{employee.name}</a>
                      </td>
                      <td dir="ltr">{employee.idNumber}</td>
                      <td>{t(`nationality${employee.nationality as (typeof nationalities)[number]}`)}</td>
                      <td>{employee.occupation}</td>
                      <td>
                        <DateText date={employee.startDate} />
                      </td>
                      <td>{employee.endDate ? <DateText date={employee.endDate} /> : t("ongoing")}</td>
                      <td class="amount">
                        <Money amount={employee.contributoryWage} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {data.nextCursor ? (
            <p class="pager">
              <a href={`/employer?${nextQuery}`} rel="next">
                {t("next")}
              </a>
            </p>
          ) : null}
        </>,
      );
    });
  });

  const newEmployeeForm = (c: PortalContext, draft: Record<string, string>, error?: ApiError) => {
    const { t } = uiOf(c);
    return renderPage(
      c,
      t("addEmployee"),
      <>
        <ErrorSummary error={error} />
        <form method="post" action="/employer/employees/new" class="stack card">
          <CsrfField />
          <FormKey value={draft.formKey} />
          <Field name="idNumber" label={t("idNumber")} value={draft.idNumber} required dir="ltr" error={error} />
          <SelectField
            name="nationality"
            label={t("nationality")}
            value={draft.nationality ?? "SAUDI"}
            options={nationalities.map((n) => ({ value: n, label: t(`nationality${n}`) }))}
            error={error}
          />
          <SelectField
            name="gccCountry"
            label={t("gccCountry")}
            value={draft.gccCountry ?? ""}
            options={[
              { value: "", label: "—" },
              ...["KW", "BH", "OM", "QA", "AE"].map((v) => ({ value: v, label: v })),
            ]}
            error={error}
          />
          <Field name="name" label={t("name")} value={draft.name} required error={error} />
          <Field
            name="dateOfBirth"
            label={t("dateOfBirth")}
            type="date"
            value={draft.dateOfBirth}
            required
            error={error}
          />
          <Field name="occupation" label={t("occupation")} value={draft.occupation} required error={error} />
          <Field name="startDate" label={t("startDate")} type="date" value={draft.startDate} required error={error} />
          <Field
            name="firstInsuredOn"
            label={t("firstInsuredOnOptional")}
            type="date"
            value={draft.firstInsuredOn}
            error={error}
          />
          <WageFields draft={draft} error={error} />
          <SubmitButton label={t("registerEmployee")} />
        </form>
      </>,
      { status: error ? (error.status === 409 ? 409 : 400) : 200 },
    );
  };

  app.get("/employer/employees/new", (c) => newEmployeeForm(c, {}));
  app.post("/employer/employees/new", async (c) => {
    const form = await formFields(c);
    const { token, path } = base(c);
    const created = await callApi<Employee>(c, {
      method: "POST",
      path: `${path}/employees`,
      token,
      idempotencyKey: form.formKey,
      json: {
        idNumber: normaliseDigits(form.idNumber),
        nationality: form.nationality,
        ...(form.gccCountry ? { gccCountry: form.gccCountry } : {}),
        name: form.name ?? "",
        dateOfBirth: form.dateOfBirth ?? "",
        occupation: form.occupation ?? "",
        startDate: form.startDate ?? "",
        ...(form.firstInsuredOn ? { firstInsuredOn: form.firstInsuredOn } : {}),
        wage: wageOf(form),
      },
    });
    if (!created.ok) return newEmployeeForm(c, { ...form, formKey: crypto.randomUUID() }, created.error);
    return c.redirect(`/employer/employees/${encodeURIComponent(created.data.id)}?registered=1`, 303);
  });

  const employeePage = async (
    c: PortalContext,
    options: { error?: ApiError; draft?: Record<string, string>; status?: 400 | 409 | 422 } = {},
  ) => {
    const { t } = uiOf(c);
    const { token, path } = base(c);
    const subscriberId = c.req.param("subscriberId") ?? "";
    const employee = await callApi<Employee>(c, {
      path: `${path}/employees/${encodeURIComponent(subscriberId)}`,
      token,
    });
    return pageOrFailure(c, employee, (person) => {
      const current = person.employments.find((employment) => employment.endDate === null) ?? person.employments[0];
      const draft = options.draft ?? {};
      const action = `/employer/employees/${encodeURIComponent(subscriberId)}`;
      return renderPage(
        c,
        `${t("employeeTitle")}: ${person.name}`,
        <>
          {c.req.query("registered") === "1" ? <Notice>{t("employeeRegistered")}</Notice> : null}
          {c.req.query("ended") === "1" ? <Notice>{t("employmentEnded")}</Notice> : null}
          {c.req.query("wage") === "1" ? <Notice>{t("wageRecorded")}</Notice> : null}
          <ErrorSummary error={options.error} />
          <section class="card">
            <div class="grid">
              <div>
                <div class="muted">{t("idNumber")}</div>
                <div dir="ltr">{person.idNumber}</div>
              </div>
              <div>
                <div class="muted">{t("nationality")}</div>
                <div>{t(`nationality${person.nationality as (typeof nationalities)[number]}`)}</div>
              </div>
              <div>
                <div class="muted">{t("dateOfBirth")}</div>
                <DateText date={person.dateOfBirth} />
              </div>
              <div>
                <div class="muted">{t("population")}</div>
                <div>{person.population}</div>
              </div>
            </div>
          </section>
          {person.employments.map((employment) => (
            <section class="card">
              <h2>
                {employment.occupation}: <DateText date={employment.startDate} /> —{" "}
                {employment.endDate ? <DateText date={employment.endDate} /> : t("ongoing")}
              </h2>
              <h3>{t("wageHistory")}</h3>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("effectiveMonth")}</th>
                    <AmountHeader>{t("basic")}</AmountHeader>
                    <AmountHeader>{t("housing")}</AmountHeader>
                    <AmountHeader>{t("contributoryWage")}</AmountHeader>
                    <th scope="col">{t("correctionReason")}</th>
                  </tr>
                </thead>
                <tbody>
                  {employment.wages.map((wage) => (
                    <tr>
                      <td>
                        <MonthText month={wage.effectiveMonth} />
                      </td>
                      <td class="amount">
                        <Money amount={wage.basic} />
                      </td>
                      <td class="amount">
                        <Money amount={wage.housing} />
                      </td>
                      <td class="amount">
                        <Money amount={wage.contributoryWage} />
                      </td>
                      <td>{wage.correctionReason ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
          {current && current.endDate === null ? (
            <>
              <section class="card" aria-labelledby="wage-heading">
                <h2 id="wage-heading">{t("updateWage")}</h2>
                <form method="post" action={`${action}/wage`} class="stack">
                  <CsrfField />
                  <FormKey value={draft.formKey} />
                  <Field
                    name="effectiveMonth"
                    label={t("effectiveMonth")}
                    type="month"
                    value={draft.effectiveMonth}
                    required
                    error={options.error}
                  />
                  <WageFields draft={draft} error={options.error} />
                  <Field
                    name="correctionReason"
                    label={t("correctionReason")}
                    hint={t("correctionReasonHint")}
                    value={draft.correctionReason}
                    error={options.error}
                  />
                  <SubmitButton label={t("save")} />
                </form>
              </section>
              <section class="card" aria-labelledby="end-heading">
                <h2 id="end-heading">{t("endEmployment")}</h2>
                <form method="post" action={`${action}/end`} class="stack">
                  <CsrfField />
                  <FormKey />
                  <Field name="endDate" label={t("endDate")} type="date" required error={options.error} />
                  <SelectField
                    name="reason"
                    label={t("endReason")}
                    options={endReasons.map((reason) => ({ value: reason, label: t(`reason${reason}`) }))}
                  />
                  <div>
                    <button class="secondary" type="submit">
                      {t("endEmployment")}
                    </button>
                  </div>
                </form>
              </section>
            </>
          ) : null}
        </>,
        { status: options.status ?? (options.error ? 400 : 200) },
      );
    });
  };

  const errorStatus = (error: ApiError) => (error.status === 409 ? 409 : error.status === 422 ? 422 : 400);

  app.get("/employer/employees/:subscriberId", (c) => employeePage(c));
  app.post("/employer/employees/:subscriberId/wage", async (c) => {
    const form = await formFields(c);
    const { token, path } = base(c);
    const subscriberId = c.req.param("subscriberId");
    const recorded = await callApi(c, {
      method: "POST",
      path: `${path}/employees/${encodeURIComponent(subscriberId)}/wages`,
      token,
      idempotencyKey: form.formKey,
      json: {
        ...wageOf(form),
        effectiveMonth: form.effectiveMonth ?? "",
        ...(form.correctionReason?.trim() ? { correctionReason: form.correctionReason.trim() } : {}),
      },
    });
    if (!recorded.ok)
      return employeePage(c, {
        error: recorded.error,
        draft: { ...form, formKey: crypto.randomUUID() },
        status: errorStatus(recorded.error),
      });
    return c.redirect(`/employer/employees/${encodeURIComponent(subscriberId)}?wage=1`, 303);
  });
  app.post("/employer/employees/:subscriberId/end", async (c) => {
    const form = await formFields(c);
    const { token, path } = base(c);
    const subscriberId = c.req.param("subscriberId");
    const ended = await callApi(c, {
      method: "POST",
      path: `${path}/employees/${encodeURIComponent(subscriberId)}/end`,
      token,
      idempotencyKey: form.formKey,
      json: { endDate: form.endDate ?? "", reason: form.reason ?? "OTHER" },
    });
    if (!ended.ok) return employeePage(c, { error: ended.error, status: errorStatus(ended.error) });
    return c.redirect(`/employer/employees/${encodeURIComponent(subscriberId)}?ended=1`, 303);
  });

  // ---- CSV upload with a per-row report ----
  const uploadPage = (
    c: PortalContext,
    outcome: { report?: UploadReport; error?: ApiError; rejected?: RejectedRow[] } = {},
  ) => {
    const { t, locale } = uiOf(c);
    const rejected = outcome.rejected ?? outcome.report?.rejected ?? [];
    const status = outcome.error
      ? outcome.error.status === 413
        ? 400
        : outcome.error.status === 422
          ? 422
          : 400
      : 200;
    return renderPage(
      c,
      t("uploadTitle"),
      <>
        <p>{t("uploadIntro")}</p>
        <p class="muted" dir="ltr">
          {t("uploadColumns")}: idNumber, nationality, gccCountry, name, dateOfBirth, occupation, startDate, basic,
          housing, otherAllowances, housingInKind, effectiveMonth, correctionReason, firstInsuredOn
        </p>
        {outcome.report ? (
          <Notice>
            <span id="upload-accepted">
              {t("uploadAccepted", {
                accepted: formatNumber(locale, outcome.report.rowsAccepted),
                received: formatNumber(locale, outcome.report.rowsReceived),
              })}
            </span>
            {outcome.report.rowsRejected > 0
              ? ` ${t("uploadRejectedPartial", { rejected: formatNumber(locale, outcome.report.rowsRejected) })}`
              : null}
          </Notice>
        ) : null}
        {outcome.error && outcome.error.code === "UPLOAD_ROWS_REJECTED" ? (
          <div class="alert error" role="alert" id="form-error" data-code={outcome.error.code}>
            {t("uploadRejected", { rejected: formatNumber(locale, rejected.length) })}
          </div>
        ) : (
          <ErrorSummary error={outcome.error} />
        )}
        {rejected.length > 0 ? (
          <div class="table-wrap">
            <table id="upload-errors">
              <thead>
                <tr>
                  <th scope="col">{t("row")}</th>
                  <th scope="col">{t("idNumber")}</th>
                  <th scope="col">{t("problems")}</th>
                </tr>
              </thead>
              <tbody>
                {rejected.map((row) => (
                  <tr data-line={row.line}>
                    <td>{row.line}</td>
                    <td dir="ltr">{row.idNumber ?? ""}</td>
                    <td>
                      <ul>
                        {row.errors.map((problem) => (
                          <li>
                            <code>{problem.code}</code>
                            {problem.field ? ` (${problem.field})` : ""}: {problem.message}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <form method="post" action="/employer/upload" enctype="multipart/form-data" class="stack card">
          <CsrfField />
          <FormKey />
          <div class="field">
            <label for="field-file">{t("uploadFile")}</label>
            <input id="field-file" name="file" type="file" accept=".csv,text/csv" required />
          </div>
          <CheckField name="partial" label={t("uploadPartial")} />
          <SubmitButton label={t("uploadButton")} />
        </form>
      </>,
      { status },
    );
  };

  app.get("/employer/upload", (c) => uploadPage(c));
  // The body limit is applied before the form check reads the body (routes.tsx: uploadBodyLimit).
  app.post("/employer/upload", async (c) => {
    const body = await c.req.parseBody();
    const file = body.file;
    const { token, path } = base(c);
    if (!(file instanceof File) || file.size === 0)
      return uploadPage(c, {
        error: { status: 400, code: "VALIDATION_FAILED", message: "choose a CSV file", details: [] },
      });
    const partial = body.partial === "true";
    const uploaded = await callApi<UploadReport>(c, {
      method: "POST",
      path: `${path}/employees/bulk?partial=${partial}`,
      token,
      idempotencyKey: typeof body.formKey === "string" ? body.formKey : undefined,
      body: await file.arrayBuffer(),
      contentType: "text/csv",
    });
    if (uploaded.ok) return uploadPage(c, { report: uploaded.data });
    return uploadPage(c, {
      error: uploaded.error,
      rejected:
        uploaded.error.code === "UPLOAD_ROWS_REJECTED" ? (uploaded.error.details as unknown as RejectedRow[]) : [],
    });
  });

  // ---- invoices, payment, receipts ----
  app.get("/employer/invoices", async (c) => {
    const { t } = uiOf(c);
    const { token, path } = base(c);
    const query = new URLSearchParams({ limit: "24" });
    const cursor = c.req.query("cursor");
    if (cursor) query.set("cursor", cursor);
    const list = await callApi<{ invoices: Invoice[]; nextCursor: string | null }>(c, {
      path: `${path}/invoices?${query}`,
      token,
    });
    return pageOrFailure(c, list, (data) =>
      renderPage(
        c,
        t("invoicesTitle"),
        <>
          {data.invoices.length === 0 ? (
            <p>{t("noInvoices")}</p>
          ) : (
            <div class="table-wrap">
              <table id="invoices">
                <thead>
                  <tr>
                    <th scope="col">{t("invoiceNumber")}</th>
                    <th scope="col">{t("month")}</th>
                    <th scope="col">{t("issueDate")}</th>
                    <th scope="col">{t("dueDate")}</th>
                    <AmountHeader>{t("total")}</AmountHeader>
                    <AmountHeader>{t("outstanding")}</AmountHeader>
                    <th scope="col">{t("status")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.invoices.map((invoice) => (
                    <tr data-invoice={invoice.number}>
                      <td dir="ltr">
                        <a href={`/employer/invoices/${encodeURIComponent(invoice.id)}`}>{invoice.number}</a>
                      </td>
                      <td>
                        <MonthText month={invoice.month} />
                      </td>
                      <td>
                        <DateText date={invoice.issueDate} />
                      </td>
                      <td>
                        <DateText date={invoice.dueDate} hijri />
                      </td>
                      <td class="amount">
                        <Money amount={invoice.totals.contributions} />
                      </td>
                      <td class="amount">
                        <Money amount={invoice.totals.outstanding} />
                      </td>
                      <td>
                        <StatusBadge status={invoice.status} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {data.nextCursor ? (
            <p class="pager">
              <a href={`/employer/invoices?cursor=${encodeURIComponent(data.nextCursor)}`} rel="next">
                {t("next")}
              </a>
            </p>
          ) : null}
        </>,
      ),
    );
  });

  const invoicePage = async (c: PortalContext, error?: ApiError) => {
    const { t, locale } = uiOf(c);
    const { token, path } = base(c);
    const invoiceId = c.req.param("invoiceId") ?? "";
    const invoicePath = `${path}/invoices/${encodeURIComponent(invoiceId)}`;
    const cursor = c.req.query("cursor");
    const [invoice, lines, payments] = await Promise.all([
      callApi<Invoice>(c, { path: invoicePath, token }),
      callApi<{ lines: InvoiceLine[]; nextCursor: number | null }>(c, {
        path: `${invoicePath}/lines?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        token,
      }),
      callApi<{ creditBalance: string }>(c, { path: `${path}/payments?limit=1`, token }),
    ]);
    if (!invoice.ok) return failurePage(c, invoice.error);
    if (!lines.ok) return failurePage(c, lines.error);
    const bill = invoice.data;
    const payable = bill.status !== "PAID" && bill.status !== "VOID" && bill.totals.outstanding !== "0.00";
    const credit = payments.ok ? payments.data.creditBalance : "0.00";
    return renderPage(
      c,
      t("invoiceTitle", { number: bill.number }),
      <>
        <ErrorSummary error={error} />
        <section class="card">
          <div class="grid">
            <div>
              <div class="muted">{t("month")}</div>
              <MonthText month={bill.month} />
            </div>
            <div>
              <div class="muted">{t("issueDate")}</div>
              <DateText date={bill.issueDate} hijri />
            </div>
            <div>
              <div class="muted">{t("dueDate")}</div>
              <DateText date={bill.dueDate} hijri />
            </div>
            <div>
              <div class="muted">{t("status")}</div>
              <StatusBadge status={bill.status} />
            </div>
            <div>
              <div class="muted">{t("outstanding")}</div>
              <div class="figure" id="outstanding">
                <Money amount={bill.totals.outstanding} />
              </div>
            </div>
          </div>
          <p class="actions no-print">
            {payable ? (
              <form method="post" action={`/employer/invoices/${encodeURIComponent(bill.id)}/pay`}>
                <CsrfField />
                <FormKey />
                <button class="primary" type="submit" id="pay">
                  {t("pay", { amount: formatMoney(locale, bill.totals.outstanding) })}
                </button>
              </form>
            ) : null}
            {payable && credit !== "0.00" ? (
              <form method="post" action={`/employer/invoices/${encodeURIComponent(bill.id)}/credit`}>
                <CsrfField />
                <FormKey />
                <button class="secondary" type="submit">
                  {t("applyCredit")} (<Money amount={credit} />)
                </button>
              </form>
            ) : null}
            <a href={`${invoicePath}/document?format=pdf`} download>
              {t("downloadPdf")}
            </a>
          </p>
        </section>
        <section class="card">
          <table id="branches">
            <thead>
              <tr>
                <th scope="col">{t("branch")}</th>
                <AmountHeader>{t("employer")}</AmountHeader>
                <AmountHeader>{t("employee")}</AmountHeader>
                <AmountHeader>{t("total")}</AmountHeader>
              </tr>
            </thead>
            <tbody>
              {bill.branches.map((branch) => (
                <tr>
                  <td>{t(`branch${branch.branch as "ANNUITIES" | "SANED" | "OCCUPATIONAL_HAZARDS"}`)}</td>
                  <td class="amount">
                    <Money amount={branch.employer} />
                  </td>
                  <td class="amount">
                    <Money amount={branch.employee} />
                  </td>
                  <td class="amount">
                    <Money amount={branch.total} />
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td>{t("totals")}</td>
                <td class="amount">
                  <Money amount={bill.totals.employerShare} />
                </td>
                <td class="amount">
                  <Money amount={bill.totals.employeeShare} />
                </td>
                <td class="amount">
                  <Money amount={bill.totals.contributions} />
                </td>
              </tr>
            </tfoot>
          </table>
          <p>
            {t("adjustments")}: <Money amount={bill.totals.adjustments} /> · {t("fines")}:{" "}
            <Money amount={bill.totals.finesAssessed} /> · {t("settled")}: <Money amount={bill.totals.settled} />
          </p>
        </section>
        <section class="card">
          <h2>{t("lines")}</h2>
          <div class="table-wrap">
            <table id="lines">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">{t("name")}</th>
                  <th scope="col">{t("idNumber")}</th>
                  <th scope="col">{t("month")}</th>
                  <th scope="col">{t("daysInService")}</th>
                  <AmountHeader>{t("chargeableWage")}</AmountHeader>
                  <AmountHeader>{t("employer")}</AmountHeader>
                  <AmountHeader>{t("employee")}</AmountHeader>
                  <AmountHeader>{t("total")}</AmountHeader>
                </tr>
              </thead>
              <tbody>
                {lines.data.lines.map((line) => (
                  <tr>
                    <td>{formatNumber(locale, line.lineNumber)}</td>
                    <td>{line.name}</td>
                    <td dir="ltr">{line.idNumber}</td>
                    <td>
                      <MonthText month={line.month} />
                      {line.kind === "ADJUSTMENT" ? <span class="muted"> ({t("lineKindADJUSTMENT")})</span> : null}
                    </td>
                    <td>{formatNumber(locale, line.daysInService)}</td>
                    <td class="amount">
                      <Money amount={line.chargeableWage} />
                    </td>
                    <td class="amount">
                      <Money amount={line.employerTotal} />
                    </td>
                    <td class="amount">
                      <Money amount={line.employeeTotal} />
                    </td>
                    <td class="amount">
                      <Money amount={line.total} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {lines.data.nextCursor !== null ? (
            <p class="pager">
              <a href={`/employer/invoices/${encodeURIComponent(bill.id)}?cursor=${lines.data.nextCursor}`} rel="next">
                {t("next")}
              </a>
            </p>
          ) : null}
        </section>
      </>,
      { status: error ? (error.status === 409 ? 409 : 400) : 200 },
    );
  };

  app.get("/employer/invoices/:invoiceId", (c) => invoicePage(c));

  // Pay: the API starts (or, for the same form, returns) a Checkout Session; the browser goes
  // to Stripe's page, or to the local stand-in's page when no Stripe key is configured.
  app.post("/employer/invoices/:invoiceId/pay", async (c) => {
    const form = await formFields(c);
    const { token, path } = base(c);
    const started = await callApi<{ checkoutUrl: string | null }>(c, {
      method: "POST",
      path: `${path}/invoices/${encodeURIComponent(c.req.param("invoiceId"))}/payments`,
      token,
      idempotencyKey: form.formKey,
      json: { method: "CHECKOUT", currency: "SAR" },
    });
    if (!started.ok) return invoicePage(c, started.error);
    if (!started.data.checkoutUrl) return invoicePage(c);
    return c.redirect(started.data.checkoutUrl, 303);
  });

  app.post("/employer/invoices/:invoiceId/credit", async (c) => {
    const form = await formFields(c);
    const { token, path } = base(c);
    const invoiceId = c.req.param("invoiceId");
    const applied = await callApi(c, {
      method: "POST",
      path: `${path}/invoices/${encodeURIComponent(invoiceId)}/credit-applications`,
      token,
      idempotencyKey: form.formKey,
    });
    if (!applied.ok) return invoicePage(c, applied.error);
    return c.redirect(`/employer/invoices/${encodeURIComponent(invoiceId)}`, 303);
  });

  app.get("/employer/payments", async (c) => {
    const { t } = uiOf(c);
    const { token, path } = base(c);
    const [payments, attempts] = await Promise.all([
      callApi<{ payments: Payment[]; creditBalance: string }>(c, { path: `${path}/payments?limit=50`, token }),
      callApi<{ attempts: Attempt[] }>(c, { path: `${path}/payment-attempts?limit=20`, token }),
    ]);
    if (!payments.ok) return failurePage(c, payments.error);
    return renderPage(
      c,
      t("paymentsTitle"),
      <>
        <p>
          {t("applyCredit")}: <Money amount={payments.data.creditBalance} />
        </p>
        {payments.data.payments.length === 0 ? (
          <p>{t("noPayments")}</p>
        ) : (
          <div class="table-wrap">
            <table id="payments">
              <thead>
                <tr>
                  <th scope="col">{t("receivedAt")}</th>
                  <th scope="col">{t("reference")}</th>
                  <th scope="col">{t("invoice")}</th>
                  <AmountHeader>{t("amount")}</AmountHeader>
                  <AmountHeader>{t("refunded")}</AmountHeader>
                </tr>
              </thead>
              <tbody>
                {payments.data.payments.map((payment) => (
                  <tr>
                    <td>
                      <DateText date={payment.receivedAt} />
                    </td>
                    <td dir="ltr">
                      <a href={`/employer/payments/${encodeURIComponent(payment.id)}`}>
                        <code>{payment.stripePaymentIntentId}</code>
                      </a>
                    </td>
                    <td>
                      {payment.invoiceId ? (
                        <a href={`/employer/invoices/${encodeURIComponent(payment.invoiceId)}`}>{t("viewInvoice")}</a>
                      ) : null}
                    </td>
                    <td class="amount">
                      <Money amount={payment.amount} />
                    </td>
                    <td class="amount">
                      <Money amount={payment.refunded} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {attempts.ok && attempts.data.attempts.length > 0 ? (
          <section class="card">
            <h2>{t("attemptsTitle")}</h2>
            <table>
              <tbody>
                {attempts.data.attempts.map((attempt) => (
                  <tr>
                    <td>
                      <DateText date={attempt.createdAt} />
                    </td>
                    <td class="amount">
                      <Money amount={attempt.amount} />
                    </td>
                    <td>
                      <StatusBadge status={attempt.status} />
                    </td>
                    <td>
                      <a href={`/employer/invoices/${encodeURIComponent(attempt.invoiceId)}`}>{t("viewInvoice")}</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
      </>,
    );
  });

  // A receipt: one payment as the establishment's records keep it, laid out to print.
  app.get("/employer/payments/:paymentId", async (c) => {
    const { t } = uiOf(c);
    const { token, path } = base(c);
    const paymentId = c.req.param("paymentId");
    let cursor: string | null = null;
    let found: Payment | undefined;
    // The API lists payments newest first; a receipt is nearly always for a recent one.
    for (let page = 0; page < 20 && !found; page++) {
      const list: ApiResult<{ payments: Payment[]; nextCursor: string | null }> = await callApi(c, {
        path: `${path}/payments?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        token,
      });
      if (!list.ok) return failurePage(c, list.error);
      found = list.data.payments.find((payment) => payment.id === paymentId);
      cursor = list.data.nextCursor;
      if (!cursor) break;
    }
    if (!found)
      return failurePage(c, { status: 404, code: "PAYMENT_NOT_FOUND", message: "no such payment", details: [] });
    const payment = found;
    return renderPage(
      c,
      t("receiptTitle"),
      <section class="card" id="receipt">
        <dl class="grid">
          <div>
            <dt class="muted">{t("reference")}</dt>
            <dd dir="ltr">
              <code>{payment.stripePaymentIntentId}</code>
            </dd>
          </div>
          <div>
            <dt class="muted">{t("receivedAt")}</dt>
            <dd>
              <DateText date={payment.receivedAt} hijri />
            </dd>
          </div>
          <div>
            <dt class="muted">{t("amount")}</dt>
            <dd class="figure">
              <Money amount={payment.amount} />
            </dd>
          </div>
          <div>
            <dt class="muted">{t("refunded")}</dt>
            <dd>
              <Money amount={payment.refunded} />
            </dd>
          </div>
        </dl>
        {payment.invoiceId ? (
          <p>
            <a href={`/employer/invoices/${encodeURIComponent(payment.invoiceId)}`}>{t("viewInvoice")}</a>
          </p>
        ) : null}
      </section>,
    );
  });

  // ---- API keys for the direct link ----
  const apiKeysPage = async (c: PortalContext, outcome: { created?: string; error?: ApiError } = {}) => {
    const { t } = uiOf(c);
    const { token, path } = base(c);
    const keys = await callApi<{ apiKeys: ApiKey[] }>(c, { path: `${path}/api-keys`, token });
    return pageOrFailure(c, keys, (data) =>
      renderPage(
        c,
        t("apiKeysTitle"),
        <>
          <p>{t("apiKeysIntro")}</p>
          {outcome.created ? (
            <Notice>
              {t("keyCreated")}{" "}
              <code dir="ltr" id="new-api-key">
                {outcome.created}
              </code>
            </Notice>
          ) : null}
          <ErrorSummary error={outcome.error} />
          <form method="post" action="/employer/api-keys" class="inline card">
            <CsrfField />
            <FormKey />
            <Field name="name" label={t("keyName")} required error={outcome.error} />
            <button class="primary" type="submit">
              {t("createKey")}
            </button>
          </form>
          <table id="api-keys">
            <thead>
              <tr>
                <th scope="col">{t("keyName")}</th>
                <th scope="col">{t("prefix")}</th>
                <th scope="col">{t("createdAt")}</th>
                <th scope="col">{t("lastUsed")}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {data.apiKeys.map((key) => (
                <tr>
                  <td>{key.name}</td>
                  <td dir="ltr">
                    <code>{key.displayPrefix}</code>
                  </td>
                  <td>
                    <DateText date={key.createdAt} />
                  </td>
                  <td>{key.lastUsedAt ? <DateText date={key.lastUsedAt} /> : "—"}</td>
                  <td>
                    <form method="post" action={`/employer/api-keys/${encodeURIComponent(key.id)}/revoke`}>
                      <CsrfField />
                      <button class="secondary" type="submit">
                        {t("revoke")}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>,
        { status: outcome.error ? 400 : 200 },
      ),
    );
  };

  app.get("/employer/api-keys", (c) => apiKeysPage(c));
  app.post("/employer/api-keys", async (c) => {
    const form = await formFields(c);
    const { token, path } = base(c);
    const created = await callApi<{ key: string }>(c, {
      method: "POST",
      path: `${path}/api-keys`,
      token,
      idempotencyKey: form.formKey,
      json: { name: form.name ?? "" },
    });
    // The key is shown on this answer only; it is never put in a URL or stored in the page's state.
    return created.ok ? apiKeysPage(c, { created: created.data.key }) : apiKeysPage(c, { error: created.error });
  });
  app.post("/employer/api-keys/:keyId/revoke", async (c) => {
    const { token, path } = base(c);
    const revoked = await callApi(c, {
      method: "DELETE",
      path: `${path}/api-keys/${encodeURIComponent(c.req.param("keyId"))}`,
      token,
    });
    if (!revoked.ok) return apiKeysPage(c, { error: revoked.error });
    return c.redirect("/employer/api-keys", 303);
  });

  return app;
}

type RejectedRow = { line: number; idNumber?: string; errors: { code: string; field?: string; message: string }[] };
type UploadReport = { rowsReceived: number; rowsAccepted: number; rowsRejected: number; rejected: RejectedRow[] };

function wageOf(form: Record<string, string>) {
  return {
    basic: normaliseDigits(form.basic),
    housing: normaliseDigits(form.housing),
    ...(form.otherAllowances ? { otherAllowances: normaliseDigits(form.otherAllowances) } : {}),
    housingInKind: form.housingInKind === "true",
  };
}

function WageFields(props: { draft: Record<string, string>; error: ApiError | undefined }) {
  const { t } = useUi();
  return (
    <>
      <Field
        name="basic"
        label={t("basic")}
        value={props.draft.basic}
        required
        inputmode="decimal"
        dir="ltr"
        error={props.error}
      />
      <Field
        name="housing"
        label={t("housing")}
        value={props.draft.housing}
        required
        inputmode="decimal"
        dir="ltr"
        error={props.error}
      />
      <Field
        name="otherAllowances"
        label={t("otherAllowances")}
        value={props.draft.otherAllowances}
        inputmode="decimal"
        dir="ltr"
        error={props.error}
      />
      <CheckField name="housingInKind" label={t("housingInKind")} checked={props.draft.housingInKind === "true"} />
    </>
  );
}
