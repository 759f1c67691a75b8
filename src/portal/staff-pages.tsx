import { Hono } from "hono";
import { chartOfAccounts } from "../ledger/chart-of-accounts.js";
import type { ApiError } from "./api-client.js";
import { type PortalContext, type PortalEnv, requirePageUser } from "./context.js";
import { formatMonth, formatNumber } from "./format.js";
import {
  emailSignInPage,
  failurePage,
  formFields,
  type PortalDeps,
  pageOrFailure,
  returnPath,
  signedIn,
  signInThroughApi,
} from "./kit.js";
import {
  AmountHeader,
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
  uiOf,
} from "./layout.js";

type TrialBalance = {
  asOf: string;
  accounts: { code: string; name: string; debit: string; credit: string }[];
  totals: { debit: string; credit: string };
};
type BillingRun = {
  id: string;
  month: string;
  status: string;
  createdAt: string;
  completedAt: string | null;
  progress: { establishments: number; chunks: number; chunksIssued: number; percent: number };
  counts: { invoices: number; contributionLines: number; adjustmentLines: number };
  lastError: string | null;
};
type RateSet = {
  fromMonth: string;
  description: string;
  populations: {
    population: string;
    wageFloor: string;
    wageCap: string;
    rates: { branch: string; share: string; rate: string }[];
  }[];
};
type LateFine = {
  id: string;
  invoiceId: string;
  periodNumber: number;
  periodStart: string;
  unpaidBase: string;
  amount: string;
  assessedOn: string;
  waived: { at: string; reason: string } | null;
};
type ReconciliationRun = {
  id: string;
  periodFrom: string;
  periodTo: string;
  differenceCount: number;
  differenceCounts: Record<string, number>;
  ranAt: string;
};
type ReconciliationDifferences = {
  differences: { kind: string; stripeId: string; stripeAmount: string | null; ledgerAmount: string | null }[];
  nextCursor: number | null;
};

/** Today in Riyadh, the agency's business date (the API's defaults use the same). */
export type Today = () => string;

export function staffPages(deps: PortalDeps & { today: Today }) {
  const { callApi } = deps;
  const app = new Hono<PortalEnv>();
  const books = requirePageUser("staff", deps.authenticate, ["ACCOUNTANT", "AGENCY_ADMIN"]);
  const admins = requirePageUser("staff", deps.authenticate, ["AGENCY_ADMIN"]);
  app.use("/accountant/*", books);
  app.use("/admin/*", admins);
  const token = (c: PortalContext) => signedIn(c).token;

  const loginForm = (c: PortalContext, error?: ApiError) =>
    emailSignInPage(c, { title: uiOf(c).t("staffSignInTitle"), action: "/staff/login", error });
  app.get("/staff/login", (c) => loginForm(c));
  app.post("/staff/login", async (c) => {
    const form = await formFields(c);
    const signed = await signInThroughApi<{ token: string; staffUser: { role: string } }>(
      c,
      callApi,
      "/v1/auth/staff/sessions",
      { email: form.email ?? "", password: form.password ?? "" },
    );
    if (!signed.ok) return loginForm(c, signed.error);
    return c.redirect(returnPath(c, signed.data.staffUser.role === "AGENCY_ADMIN" ? "/admin" : "/accountant"), 303);
  });

  // ---- accountants: trial balance, downloads, reconciliation ----
  app.get("/accountant", async (c) => {
    const { t } = uiOf(c);
    const asOf = c.req.query("asOf") || deps.today();
    const balance = await callApi<TrialBalance>(c, {
      path: `/v1/exports/trial-balance?asOf=${encodeURIComponent(asOf)}`,
      token: token(c),
    });
    return pageOrFailure(c, balance, (data) =>
      renderPage(
        c,
        t("trialBalanceTitle"),
        <>
          <form method="get" action="/accountant" class="inline card">
            <Field name="asOf" label={t("asOf")} type="date" value={data.asOf} required />
            <button class="secondary" type="submit">
              {t("show")}
            </button>
            <a
              class="button"
              id="trial-balance-csv"
              href={`/v1/exports/trial-balance?asOf=${encodeURIComponent(data.asOf)}&format=csv`}
              download
            >
              {t("downloadCsv")}
            </a>
          </form>
          <p>
            <DateText date={data.asOf} hijri />
            {data.totals.debit === data.totals.credit ? ` — ${t("balanced")}` : null}
          </p>
          <div class="table-wrap">
            <table id="trial-balance">
              <thead>
                <tr>
                  <th scope="col">{t("account")}</th>
                  <AmountHeader>{t("debit")}</AmountHeader>
                  <AmountHeader>{t("credit")}</AmountHeader>
                </tr>
              </thead>
              <tbody>
                {data.accounts.map((account) => (
                  <tr>
                    <td dir="ltr">
                      <code>{account.name}</code>
                    </td>
                    <td class="amount">
                      <Money amount={account.debit} />
                    </td>
                    <td class="amount">
                      <Money amount={account.credit} />
                    </td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <td>{t("totals")}</td>
                  <td class="amount" id="total-debit">
                    <Money amount={data.totals.debit} />
                  </td>
                  <td class="amount" id="total-credit">
                    <Money amount={data.totals.credit} />
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
        </>,
      ),
    );
  });

  app.get("/accountant/downloads", (c) => {
    const { t } = uiOf(c);
    const today = deps.today();
    const monthStart = `${today.slice(0, 8)}01`;
    return renderPage(
      c,
      t("downloadsTitle"),
      <>
        <section class="card">
          <h2>{t("journal")}</h2>
          {/* The forms point straight at the API's streamed exports: the session cookie authorises them. */}
          <form method="get" action="/v1/exports/journal" class="inline">
            <Field name="from" label={t("from")} type="date" value={monthStart} required />
            <Field name="to" label={t("to")} type="date" value={today} required />
            <SelectField
              name="format"
              label={t("format")}
              options={[
                { value: "csv", label: "CSV" },
                { value: "jsonl", label: "JSON Lines" },
                { value: "ledger", label: "hledger / ledger" },
              ]}
            />
            <button class="primary" type="submit">
              {t("download")}
            </button>
          </form>
        </section>
        <section class="card">
          <h2>{t("generalLedger")}</h2>
          <form method="get" action="/v1/exports/general-ledger" class="inline">
            <SelectField
              name="accountCode"
              label={t("account")}
              options={Object.entries(chartOfAccounts).map(([code, account]) => ({ value: code, label: account.name }))}
            />
            <Field name="establishmentId" label={t("establishmentIdOptional")} dir="ltr" />
            <Field name="from" label={t("from")} type="date" value={monthStart} required />
            <Field name="to" label={t("to")} type="date" value={today} required />
            <SelectField
              name="format"
              label={t("format")}
              options={[
                { value: "csv", label: "CSV" },
                { value: "jsonl", label: "JSON Lines" },
              ]}
            />
            <button class="primary" type="submit">
              {t("download")}
            </button>
          </form>
        </section>
      </>,
    );
  });

  const reconciliationPage = async (c: PortalContext, error?: ApiError) => {
    const { t, locale } = uiOf(c);
    const runs = await callApi<{ runs: ReconciliationRun[] }>(c, { path: "/v1/reconciliation-runs", token: token(c) });
    const today = deps.today();
    return pageOrFailure(c, runs, (data) =>
      renderPage(
        c,
        t("reconciliationTitle"),
        <>
          <ErrorSummary error={error} />
          <form method="post" action="/accountant/reconciliation" class="inline card">
            <CsrfField />
            <FormKey />
            <Field name="from" label={t("from")} type="date" value={`${today.slice(0, 8)}01`} required />
            <Field name="to" label={t("to")} type="date" value={today} required />
            <button class="primary" type="submit">
              {t("runReconciliation")}
            </button>
          </form>
          {data.runs.map((run) => (
            <section class="card" data-run={run.id}>
              <h2>
                {t("period")}: <DateText date={run.periodFrom} /> — <DateText date={run.periodTo} />
              </h2>
              <p>
                {run.differenceCount === 0 ? (
                  t("noDifferences")
                ) : (
                  <a href={`/accountant/reconciliation/${encodeURIComponent(run.id)}`}>
                    {t("differences")}: {formatNumber(locale, run.differenceCount)}
                  </a>
                )}
              </p>
              {run.differenceCount === 0 ? null : (
                <table>
                  <tbody>
                    {Object.entries(run.differenceCounts).map(([kind, count]) => (
                      <tr>
                        <td>
                          <code>{kind}</code>
                        </td>
                        <td class="amount">{formatNumber(locale, count)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          ))}
        </>,
        { status: error ? 400 : 200 },
      ),
    );
  };
  app.get("/accountant/reconciliation", (c) => reconciliationPage(c));
  // One run's differences, a hundred to a page.
  app.get("/accountant/reconciliation/:runId", async (c) => {
    const { t, locale } = uiOf(c);
    const runPath = `/v1/reconciliation-runs/${encodeURIComponent(c.req.param("runId"))}`;
    const cursor = c.req.query("cursor");
    const [run, page] = await Promise.all([
      callApi<ReconciliationRun>(c, { path: runPath, token: token(c) }),
      callApi<ReconciliationDifferences>(c, {
        path: `${runPath}/differences?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        token: token(c),
      }),
    ]);
    if (!run.ok) return failurePage(c, run.error);
    if (!page.ok) return failurePage(c, page.error);
    return renderPage(
      c,
      t("reconciliationTitle"),
      <section class="card" data-run={run.data.id}>
        <h2>
          {t("period")}: <DateText date={run.data.periodFrom} /> — <DateText date={run.data.periodTo} />
        </h2>
        <p>
          {t("differences")}: {formatNumber(locale, run.data.differenceCount)}
        </p>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("status")}</th>
              <th scope="col">{t("reference")}</th>
              <AmountHeader>Stripe</AmountHeader>
              <AmountHeader>{t("journal")}</AmountHeader>
            </tr>
          </thead>
          <tbody>
            {page.data.differences.map((difference) => (
              <tr>
                <td>
                  <code>{difference.kind}</code>
                </td>
                <td dir="ltr">
                  <code>{difference.stripeId}</code>
                </td>
                <td class="amount">
                  <Money amount={difference.stripeAmount} />
                </td>
                <td class="amount">
                  <Money amount={difference.ledgerAmount} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {page.data.nextCursor === null ? null : (
          <p>
            <a
              href={`/accountant/reconciliation/${encodeURIComponent(run.data.id)}?cursor=${page.data.nextCursor}`}
              rel="next"
            >
              {t("next")}
            </a>
          </p>
        )}
      </section>,
    );
  });
  app.post("/accountant/reconciliation", async (c) => {
    const form = await formFields(c);
    const run = await callApi(c, {
      method: "POST",
      path: "/v1/reconciliation-runs",
      token: token(c),
      json: { from: form.from ?? "", to: form.to ?? "" },
    });
    if (!run.ok) return reconciliationPage(c, run.error);
    return c.redirect("/accountant/reconciliation", 303);
  });

  // ---- agency admins: billing runs, rates, fines ----
  const runsPage = async (c: PortalContext, error?: ApiError) => {
    const { t, locale } = uiOf(c);
    const runs = await callApi<{ runs: BillingRun[] }>(c, { path: "/v1/billing-runs", token: token(c) });
    const today = deps.today();
    const lastMonth = previousMonth(today.slice(0, 7));
    return pageOrFailure(c, runs, (data) =>
      renderPage(
        c,
        t("billingRunsTitle"),
        <>
          <ErrorSummary error={error} />
          <form method="post" action="/admin/billing-runs" class="inline card">
            <CsrfField />
            <Field name="month" label={t("runMonth")} type="month" value={lastMonth} required />
            <button class="primary" type="submit">
              {t("startRun")}
            </button>
          </form>
          <table id="billing-runs">
            <thead>
              <tr>
                <th scope="col">{t("month")}</th>
                <th scope="col">{t("status")}</th>
                <th scope="col">{t("progress")}</th>
                <th scope="col">{t("invoicesIssued")}</th>
              </tr>
            </thead>
            <tbody>
              {data.runs.map((run) => (
                <tr>
                  <td>
                    <a href={`/admin/billing-runs/${encodeURIComponent(run.id)}`}>
                      <MonthText month={run.month} />
                    </a>
                  </td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>{`${formatNumber(locale, run.progress.percent)}%`}</td>
                  <td>{formatNumber(locale, run.counts.invoices)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>,
        { status: error ? (error.status === 409 ? 409 : 400) : 200 },
      ),
    );
  };
  app.get("/admin", (c) => runsPage(c));
  app.post("/admin/billing-runs", async (c) => {
    const form = await formFields(c);
    const run = await callApi<BillingRun>(c, {
      method: "POST",
      path: "/v1/billing-runs",
      token: token(c),
      json: { month: form.month ?? "" },
    });
    if (!run.ok) return runsPage(c, run.error);
    return c.redirect(`/admin/billing-runs/${encodeURIComponent(run.data.id)}`, 303);
  });

  app.get("/admin/billing-runs/:runId", async (c) => {
    const { t, locale } = uiOf(c);
    const apiPath = `/v1/billing-runs/${encodeURIComponent(c.req.param("runId"))}`;
    const run = await callApi<BillingRun>(c, { path: apiPath, token: token(c) });
    if (!run.ok) return failurePage(c, run.error);
    const data = run.data;
    const figures = [
      { label: t("establishmentsPlanned"), field: "progress.establishments", value: data.progress.establishments },
      { label: t("invoicesIssued"), field: "counts.invoices", value: data.counts.invoices },
      { label: t("contributionLines"), field: "counts.contributionLines", value: data.counts.contributionLines },
      { label: t("adjustmentLines"), field: "counts.adjustmentLines", value: data.counts.adjustmentLines },
    ];
    return renderPage(
      c,
      t("runTitle", { month: formatMonth(locale, data.month) }),
      <section
        class="card"
        id="billing-run"
        data-poll-url={apiPath}
        data-status={data.status}
        data-finished={data.status === "COMPLETED" ? data.status : undefined}
        aria-live="polite"
      >
        <h2>
          <StatusBadge status={data.status} />
        </h2>
        <label for="run-progress">{t("progress")}</label>{" "}
        <progress id="run-progress" class="progress" max="100" value={String(data.progress.percent)}>
          {data.progress.percent}%
        </progress>
        <dl class="grid">
          {figures.map((figure) => (
            <div>
              <dt class="muted">{figure.label}</dt>
              <dd class="figure" data-field={figure.field} data-value={String(figure.value)}>
                {formatNumber(locale, figure.value)}
              </dd>
            </div>
          ))}
        </dl>
        {data.lastError ? <p class="alert error">{data.lastError}</p> : null}
      </section>,
      { autoRefresh: data.status !== "COMPLETED" },
    );
  });

  app.get("/admin/rates", async (c) => {
    const { t } = uiOf(c);
    const rates = await callApi<{ rateSets: RateSet[] }>(c, { path: "/v1/rate-sets", token: token(c) });
    const thisMonth = deps.today().slice(0, 7);
    return pageOrFailure(c, rates, (data) => {
      const started = data.rateSets.filter((set) => set.fromMonth <= thisMonth).map((set) => set.fromMonth);
      const inForce = started.sort().at(-1);
      return renderPage(
        c,
        t("ratesTitle"),
        <div id="rate-sets">
          {[...data.rateSets]
            .sort((a, b) => b.fromMonth.localeCompare(a.fromMonth))
            .map((set) => (
              <section class="card" data-from-month={set.fromMonth}>
                <h2>
                  {t("effectiveFrom")} <MonthText month={set.fromMonth} />{" "}
                  {set.fromMonth === inForce ? (
                    <span class="status PAID">{t("inForce")}</span>
                  ) : set.fromMonth > thisMonth ? (
                    <span class="status OPEN">{t("scheduled")}</span>
                  ) : null}
                </h2>
                <p>{set.description}</p>
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">{t("population")}</th>
                        <th scope="col">{t("branch")}</th>
                        <AmountHeader>{t("employerRate")}</AmountHeader>
                        <AmountHeader>{t("employeeRate")}</AmountHeader>
                      </tr>
                    </thead>
                    <tbody>
                      {set.populations.flatMap((population) =>
                        (["ANNUITIES", "SANED", "OCCUPATIONAL_HAZARDS"] as const).map((branch) => (
                          <tr>
                            <td>
                              <code>{population.population}</code>
                            </td>
                            <td>{t(`branch${branch}`)}</td>
                            <td class="amount">{percent(population.rates, branch, "EMPLOYER")}</td>
                            <td class="amount">{percent(population.rates, branch, "EMPLOYEE")}</td>
                          </tr>
                        )),
                      )}
                    </tbody>
                  </table>
                </div>
              </section>
            ))}
        </div>,
      );
    });
  });

  const finesPage = async (c: PortalContext, error?: ApiError) => {
    const { t } = uiOf(c);
    const fines = await callApi<{ fines: LateFine[] }>(c, { path: "/v1/late-fines", token: token(c) });
    return pageOrFailure(c, fines, (data) =>
      renderPage(
        c,
        t("finesTitle"),
        <>
          {c.req.query("waived") === "1" ? <Notice>{t("fineWaived")}</Notice> : null}
          <ErrorSummary error={error} />
          <div class="table-wrap">
            <table id="fines">
              <thead>
                <tr>
                  <th scope="col">{t("assessedOn")}</th>
                  <AmountHeader>{t("unpaidBase")}</AmountHeader>
                  <AmountHeader>{t("amount")}</AmountHeader>
                  <th scope="col">{t("status")}</th>
                </tr>
              </thead>
              <tbody>
                {data.fines.map((fine) => (
                  <tr>
                    <td>
                      <DateText date={fine.assessedOn} />
                    </td>
                    <td class="amount">
                      <Money amount={fine.unpaidBase} />
                    </td>
                    <td class="amount">
                      <Money amount={fine.amount} />
                    </td>
                    <td>
                      {fine.waived ? (
                        <span class="status WAIVED">
                          {t("waived")}: {fine.waived.reason}
                        </span>
                      ) : (
                        <form method="post" action={`/admin/fines/${encodeURIComponent(fine.id)}/waive`} class="inline">
                          <CsrfField />
                          <Field name="reason" label={t("waiveReason")} required />
                          <button class="secondary" type="submit">
                            {t("waive")}
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>,
        { status: error ? (error.status === 409 ? 409 : 400) : 200 },
      ),
    );
  };
  app.get("/admin/fines", (c) => finesPage(c));
  app.post("/admin/fines/:fineId/waive", async (c) => {
    const form = await formFields(c);
    const waived = await callApi(c, {
      method: "POST",
      path: `/v1/late-fines/${encodeURIComponent(c.req.param("fineId"))}/waive`,
      token: token(c),
      json: { reason: form.reason ?? "" },
    });
    if (!waived.ok) return finesPage(c, waived.error);
    return c.redirect("/admin/fines?waived=1", 303);
  });

  return app;
}

function previousMonth(month: string): string {
  const [year, number] = month.split("-").map(Number) as [number, number];
  return number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, "0")}`;
}

/** "0.0975" → "9.75%", from the string (no float). */
function percent(rates: { branch: string; share: string; rate: string }[], branch: string, share: string): string {
  const rate = rates.find((r) => r.branch === branch && r.share === share)?.rate;
  if (!rate) return "—";
  const [whole = "0", fraction = ""] = rate.split(".");
  const digits = `${whole}${fraction.padEnd(2, "0")}`;
  const integer = String(Number(digits.slice(0, whole.length + 2)));
  const rest = digits.slice(whole.length + 2).replace(/0+$/, "");
  return `${integer}${rest ? `.${rest}` : ""}%`;
}
