import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthService } from "../../src/auth/service.js";
import { Money } from "../../src/shared/money.js";
import {
  browserAvailable,
  keepScreenshot,
  launchChromium,
  type ServedPortal,
  servePortal,
} from "../support/browser.js";
import { newIdNumber } from "../support/people.js";
import { e164, latestCode, newMobile } from "../support/subscribers.js";
import { registerEstablishment, TEST_CAPTCHA_ANSWER } from "../support/test-app.js";

/**
 * The portal end to end in Debian's chromium: an employer uploads a CSV with an error and fixes
 * it, an admin bills October, a subscriber registers through every step, the employer pays
 * through the local checkout, the subscriber sees the month paid, an accountant downloads a
 * trial balance that balances, and the English switch keeps the user on the same page.
 * The clock stands on 25 November 2026.
 */
const STAFF_PASSWORD = "correct horse battery staple";

describe.runIf(browserAvailable())("the portal in a real browser", () => {
  let portal: ServedPortal;
  let browser: Browser;
  let employer: Awaited<ReturnType<typeof registerEstablishment>>;
  let employerPage: Page;
  let subscriberPage: Page;
  const contexts: BrowserContext[] = [];
  const subscriber = {
    idNumber: newIdNumber("NATIONAL_ID"),
    name: "سارة بنت خالد العتيبي",
    dateOfBirth: "1991-03-14",
    mobile: newMobile(),
    email: `sara-${Date.now()}@subscriber.test`,
    password: "Portal2026pass",
  };
  const staff = { admin: `admin-${Date.now()}@agency.test`, accountant: `accountant-${Date.now()}@agency.test` };

  const newPage = async (options: { acceptDownloads?: boolean } = {}) => {
    const context = await browser.newContext({ locale: "ar-SA", acceptDownloads: options.acceptDownloads ?? false });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  };
  const at = (path: string) => `${portal.url}${path}`;

  beforeAll(async () => {
    portal = await servePortal();
    browser = await launchChromium();
    employer = await registerEstablishment(portal);
    const auth = createAuthService({ db: portal.database.prisma, clock: portal.clock });
    await auth.createStaffUser({
      email: staff.admin,
      displayName: "Admin",
      password: STAFF_PASSWORD,
      role: "AGENCY_ADMIN",
    });
    await auth.createStaffUser({
      email: staff.accountant,
      displayName: "Accountant",
      password: STAFF_PASSWORD,
      role: "ACCOUNTANT",
    });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await portal?.close();
  });

  const csvHeader =
    "idNumber,nationality,gccCountry,name,dateOfBirth,occupation,startDate,basic,housing,otherAllowances,housingInKind";
  const subscriberRow = `${subscriber.idNumber},SAUDI,,${subscriber.name},${subscriber.dateOfBirth},محاسبة,2026-09-01,8000.00,2000.00,0,false`;
  const colleagueId = newIdNumber("IQAMA");
  const badColleagueId = `${colleagueId.slice(0, 9)}${(Number(colleagueId[9]) + 1) % 10}`;
  const colleagueRow = (idNumber: string) =>
    `${idNumber},OTHER,,Ravi Kumar,1988-07-01,Technician,2026-09-01,4000.00,1000.00,0,false`;

  it("an employer signs in, uploads a CSV with an error, sees the row report, fixes it and sees the employees", async () => {
    employerPage = await newPage();
    const page = employerPage;
    await page.goto(at("/employer"));
    expect(new URL(page.url()).pathname).toBe("/employer/login");
    await page.fill("#field-email", employer.body.admin.email);
    await page.fill("#field-password", employer.body.admin.password);
    await Promise.all([page.waitForURL(at("/employer")), page.click("button[type=submit].primary")]);

    await page.goto(at("/employer/upload"));
    const upload = async (rows: string[]) => {
      await page.setInputFiles("#field-file", {
        name: "payroll.csv",
        mimeType: "text/csv",
        buffer: Buffer.from([csvHeader, ...rows].join("\n")),
      });
      await page.click("form[enctype] button[type=submit]");
      await page.waitForLoadState();
    };
    await upload([subscriberRow, colleagueRow(badColleagueId)]);
    await expect.poll(() => page.getAttribute("#form-error", "data-code")).toBe("UPLOAD_ROWS_REJECTED");
    expect(await page.locator("#upload-errors tbody tr").count()).toBe(1);
    expect(await page.getAttribute("#upload-errors tbody tr", "data-line")).toBe("3");
    expect(await page.textContent("#upload-errors")).toContain("ID_CHECK_DIGIT_INVALID");
    await keepScreenshot(page, "employer-upload-errors");

    await upload([subscriberRow, colleagueRow(colleagueId)]);
    // Arabic pages count in Arabic-Indic digits: "قُبل ٢ من ٢ صفًا".
    expect(await page.textContent("#upload-accepted")).toContain("٢ من ٢");

    await page.goto(at("/employer"));
    const listed = await page
      .locator("#employees tbody tr")
      .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-id-number")));
    expect(listed).toEqual(expect.arrayContaining([subscriber.idNumber, colleagueId]));
    await page.fill("#field-idNumber", subscriber.idNumber);
    await page.click("form[aria-label=search] button");
    await page.waitForLoadState();
    expect(await page.locator("#employees tbody tr").count()).toBe(1);
    await keepScreenshot(page, "employer-employees");
  });

  it("an agency admin starts the October billing run and watches it complete", async () => {
    const page = await newPage();
    await page.goto(at("/admin"));
    expect(new URL(page.url()).pathname).toBe("/staff/login");
    await page.fill("#field-email", staff.admin);
    await page.fill("#field-password", STAFF_PASSWORD);
    await Promise.all([page.waitForURL(at("/admin")), page.click("button[type=submit].primary")]);
    await page.fill("#field-month", "2026-10");
    await Promise.all([page.waitForURL(/\/admin\/billing-runs\//), page.click("button[type=submit].primary")]);
    await page.waitForSelector('#billing-run[data-finished="COMPLETED"]', { timeout: 60_000 });
    // The page followed the run to its end by itself (script polling the API, then a reload).
    expect(Number(await page.getAttribute('[data-field="counts.invoices"]', "data-value"))).toBeGreaterThanOrEqual(1);
    expect(await page.textContent("#billing-run .status")).toBe("اكتملت");
    await keepScreenshot(page, "admin-billing-run");
  });

  it("a subscriber registers through every step and sees October billed but not yet paid", async () => {
    subscriberPage = await newPage();
    const page = subscriberPage;
    await page.goto(at("/subscriber/register"));
    await page.selectOption("#field-nationality", "SAUDI");
    await page.fill("#field-idNumber", subscriber.idNumber);
    await page.fill("#field-dateOfBirth", subscriber.dateOfBirth);
    await page.fill("#field-email", subscriber.email);
    await page.fill("#field-emailConfirmation", `other-${subscriber.email}`);
    await page.fill("#field-password", subscriber.password);
    await page.fill("#field-passwordConfirmation", subscriber.password);
    await page.fill("#field-mobile", subscriber.mobile);
    await page.fill("#field-mobileConfirmation", subscriber.mobile);
    await page.fill("#field-captchaAnswer", TEST_CAPTCHA_ANSWER);
    await page.check("#field-acceptTerms");
    expect(await page.locator("#captcha-image").evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(150);
    await page.click("button[type=submit].primary");
    await page.waitForLoadState();

    // A mismatched confirmation: the form comes back marked, with what was typed (not passwords).
    expect(await page.getAttribute("#form-error", "data-code")).toBe("EMAIL_MISMATCH");
    expect(await page.getAttribute("#field-emailConfirmation", "aria-invalid")).toBe("true");
    expect(await page.inputValue("#field-idNumber")).toBe(subscriber.idNumber);
    expect(await page.inputValue("#field-password")).toBe("");
    await keepScreenshot(page, "subscriber-registration-error");

    await page.fill("#field-emailConfirmation", subscriber.email);
    await page.fill("#field-password", subscriber.password);
    await page.fill("#field-passwordConfirmation", subscriber.password);
    await page.fill("#field-captchaAnswer", TEST_CAPTCHA_ANSWER);
    await Promise.all([
      page.waitForURL(/\/subscriber\/register\/[^/?]+\?to=/),
      page.click("button[type=submit].primary"),
    ]);
    await keepScreenshot(page, "subscriber-sms-code");
    await page.fill("#field-code", await latestCode(portal, e164(subscriber.mobile)));
    await Promise.all([page.waitForURL(/\/subscriber\?welcome=1$/), page.click("button[type=submit].primary")]);
    expect(await page.textContent("#subscriber-name")).toBe(subscriber.name);
    expect(await page.locator(".chart svg circle").count()).toBeGreaterThanOrEqual(1);
    await keepScreenshot(page, "subscriber-dashboard");

    await page.goto(at("/subscriber/months"));
    const october = page.locator('#months tr[data-month="2026-10"]');
    expect(await october.getAttribute("data-status")).toBe("UNPAID");
    expect(await october.textContent()).toContain("لم يُسدد بعد");
  });

  it("the employer pays the October invoice through the local checkout, and the subscriber then sees it paid", async () => {
    const page = employerPage;
    await page.goto(at("/employer/invoices"));
    await page.click("#invoices tbody tr a");
    await page.waitForURL(/\/employer\/invoices\/[^/]+$/);
    const outstanding = await page.getAttribute("#outstanding [data-amount]", "data-amount");
    expect(Money.sar(outstanding ?? "0").isPositive()).toBe(true);
    await keepScreenshot(page, "employer-invoice");

    await page.click("#pay");
    await page.waitForURL(/\/checkout\/cs_/);
    expect(await page.textContent("#amount")).toContain(outstanding ?? "missing");
    await Promise.all([page.waitForURL(/\/payments\/return\?attempt=/), page.click("button[value=succeeded]")]);
    // The return page refreshes itself until the processor's events are reconciled.
    await page.waitForFunction(() => document.querySelector("#status")?.textContent === "PAID", null, {
      timeout: 30_000,
    });

    await page.goto(at("/employer/invoices"));
    expect(await page.getAttribute("#invoices tbody tr .status", "data-status")).toBe("PAID");
    await page.goto(at("/employer/payments"));
    expect(await page.locator("#payments tbody tr").count()).toBe(1);
    await page.click("#payments tbody tr a[href^='/employer/payments/']");
    expect(await page.getAttribute("#receipt [data-amount]", "data-amount")).toBe(outstanding);
    await keepScreenshot(page, "employer-receipt");

    await subscriberPage.reload();
    const october = subscriberPage.locator('#months tr[data-month="2026-10"]');
    expect(await october.getAttribute("data-status")).toBe("PAID");
    await keepScreenshot(subscriberPage, "subscriber-months-paid");
  });

  it("an accountant sees and downloads a trial balance that balances to the halala", async () => {
    const page = await newPage({ acceptDownloads: true });
    await page.goto(at("/accountant"));
    await page.fill("#field-email", staff.accountant);
    await page.fill("#field-password", STAFF_PASSWORD);
    await Promise.all([page.waitForURL(at("/accountant")), page.click("button[type=submit].primary")]);
    const debit = await page.getAttribute("#total-debit [data-amount]", "data-amount");
    const credit = await page.getAttribute("#total-credit [data-amount]", "data-amount");
    expect(debit).toBe(credit);
    expect(Money.sar(debit ?? "0").isPositive()).toBe(true);
    await keepScreenshot(page, "accountant-trial-balance");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#trial-balance-csv")]);
    const rows = parse(await readFile((await download.path()) as string, "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    const total = rows.find((row) => row.code === "TOTAL");
    const accounts = rows.filter((row) => row.code !== "TOTAL");
    const sum = (column: "debit" | "credit") => Money.sum(accounts.map((row) => Money.sar(row[column] ?? "0")));
    expect(total?.debit).toBe(debit);
    expect(total?.credit).toBe(credit);
    expect(sum("debit").toString()).toBe(debit);
    expect(sum("credit").toString()).toBe(credit);

    // An accountant may not open the admin's pages.
    const admin = await page.goto(at("/admin"));
    expect(admin?.status()).toBe(403);
  });

  it("lays Arabic out right to left, and the English switch keeps the user on the same page", async () => {
    const page = subscriberPage;
    await page.goto(at("/subscriber/months?from=2026-09"));
    const layout = () =>
      page.evaluate(() => ({
        lang: document.documentElement.lang,
        dir: getComputedStyle(document.documentElement).direction,
        brandLeft: (document.querySelector("header .brand") as HTMLElement).getBoundingClientRect().left,
        toolsLeft: (document.querySelector("header .tools") as HTMLElement).getBoundingClientRect().left,
        firstHeaderCell: (document.querySelector("#months th") as HTMLElement).getBoundingClientRect().left,
        lastHeaderCell: (document.querySelector("#months th:last-child") as HTMLElement).getBoundingClientRect().left,
        heading: document.querySelector("h1")?.textContent,
      }));
    const arabic = await layout();
    expect(arabic).toMatchObject({ lang: "ar", dir: "rtl", heading: "شهرًا بشهر" });
    // Right to left: the brand starts the header on the right, and the table's first column is rightmost.
    expect(arabic.brandLeft).toBeGreaterThan(arabic.toolsLeft);
    expect(arabic.firstHeaderCell).toBeGreaterThan(arabic.lastHeaderCell);
    await keepScreenshot(page, "subscriber-months-ar");

    await Promise.all([page.waitForURL(/lang|months/), page.click("#language-switch")]);
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe("/subscriber/months?from=2026-09");
    const english = await layout();
    expect(english).toMatchObject({ lang: "en", dir: "ltr", heading: "Month by month" });
    expect(english.brandLeft).toBeLessThan(english.toolsLeft);
    expect(english.firstHeaderCell).toBeLessThan(english.lastHeaderCell);
    expect(await page.textContent('#months tr[data-month="2026-10"] .status')).toBe("Paid");
    await keepScreenshot(page, "subscriber-months-en");

    // Keyboard: the first Tab reaches the skip link, visibly focused; following it moves focus to
    // the page's content, so the next Tab lands on the content's first control.
    await page.keyboard.press("Tab");
    const skip = await page.evaluate(() => {
      const focused = document.activeElement as HTMLElement;
      return { className: focused.className, outline: getComputedStyle(focused).outlineStyle };
    });
    expect(skip).toEqual({ className: "skip", outline: "solid" });
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);

    // The choice follows the user to other pages until switched back.
    await page.goto(at("/subscriber"));
    expect(await page.getAttribute("html", "lang")).toBe("en");
    await page.click("#language-switch");
    await page.waitForLoadState();
    expect(await page.getAttribute("html", "lang")).toBe("ar");
  });
});
