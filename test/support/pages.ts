import { CSRF_COOKIE, CSRF_FIELD } from "../../src/portal/csrf.js";
import type { TestContext } from "./test-app.js";

export type PageResponse = { status: number; location: string | null; html: string; headers: Headers };

/**
 * A browser stand-in for page tests without a browser: keeps cookies, and puts the CSRF token
 * from its cookie into every form it posts (unless told not to).
 */
export function pageSession(app: TestContext["app"]) {
  const jar = new Map<string, string>();
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const [name = "", ...value] = pair.split("=");
      const text = value.join("=");
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(line) || text === "") jar.delete(name);
      else jar.set(name, text);
    }
  };
  const cookieHeader = () => [...jar.entries()].map(([name, value]) => `${name}=${value}`).join("; ");
  const send = async (path: string, init: RequestInit = {}): Promise<PageResponse> => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", cookieHeader());
    const response = await app.request(path, { ...init, headers, redirect: "manual" });
    remember(response);
    return {
      status: response.status,
      location: response.headers.get("location"),
      html: await response.text(),
      headers: response.headers,
    };
  };
  return {
    cookies: jar,
    get: (path: string) => send(path),
    post: (
      path: string,
      fields: Record<string, string>,
      options: { withoutCsrf?: boolean; headers?: Record<string, string> } = {},
    ) => {
      const body = new URLSearchParams(fields);
      const token = jar.get(CSRF_COOKIE);
      if (!options.withoutCsrf && token) body.set(CSRF_FIELD, token);
      return send(path, {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded", ...options.headers },
      });
    },
    /** Signs in through a sign-in page (after a GET, so the CSRF cookie exists). */
    async signIn(loginPath: string, fields: Record<string, string>): Promise<PageResponse> {
      await send(loginPath);
      return this.post(loginPath, fields);
    },
  };
}

/** The value of a data attribute on the first element that has it, from a page's HTML. */
export function dataAttribute(html: string, name: string): string | undefined {
  return new RegExp(`${name}="([^"]*)"`).exec(html)?.[1];
}
