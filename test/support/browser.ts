import { existsSync, mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { serve } from "@hono/node-server";
import { type Browser, chromium, type Page } from "playwright-core";
import { buildTestApp, type TestContext } from "./test-app.js";

/** Debian's chromium (installed by .ci/run with apt-get); CHROMIUM_PATH overrides it. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Whether this run can drive a browser. CI always can (.ci/run installs chromium and sets CI),
 * so there a missing browser fails the suite instead of skipping it.
 */
export function browserAvailable(): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.CI) throw new Error(`CI needs a browser at ${chromiumPath} (apt-get install chromium)`);
  console.warn(
    `browser tests skipped: no chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
  return false;
}

/** Headless chromium as root in a closed network: no sandbox, no background networking. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

export type ServedPortal = TestContext & { url: string };

/**
 * The real application (test database, fixed clock, local Stripe stand-in) served over HTTP on
 * a free port, with PUBLIC_BASE_URL pointing at it so Checkout returns to it.
 */
export async function servePortal(): Promise<ServedPortal> {
  let context: TestContext | undefined;
  const server = serve({
    fetch: (request, env) => {
      if (!context) return new Response("starting", { status: 503 });
      return context.app.fetch(request, env);
    },
    port: 0,
    hostname: "127.0.0.1",
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context = await buildTestApp({ environment: { PUBLIC_BASE_URL: url } });
  const built = context;
  return {
    ...built,
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await built.close();
    },
  };
}

export const artefactsDirectory = path.resolve(import.meta.dirname, "../../test-artifacts/screenshots");

/** Keeps a full-page screenshot of the page as a test artefact (test-artifacts/, git-ignored). */
export async function keepScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artefactsDirectory, { recursive: true });
  await page.screenshot({ path: path.join(artefactsDirectory, `${name}.png`), fullPage: true });
}
