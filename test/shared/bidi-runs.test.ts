import { describe, expect, it } from "vitest";
import { visualRuns } from "../../src/shared/pdf/bidi-runs.js";

const order = (text: string, direction?: "rtl" | "ltr") =>
  visualRuns(text, direction).map((run) => `${run.rtl ? "R" : "L"}:${run.text}`);

describe("visual runs for pdfkit (Unicode bidi algorithm)", () => {
  it("orders the probe sentence as Chromium does: numbers keep their digits, % lands left of 9.75, brackets mirror", () => {
    expect(order("إجمالي الاشتراك: 29,250.00 ريال (بنسبة 9.75%) عن 24 شهرا")).toEqual([
      "R: شهرا",
      "L:24",
      "R:%( عن ",
      "L:9.75",
      "R: ريال )بنسبة ",
      "L:29,250.00",
      "R:إجمالي الاشتراك: ",
    ]);
  });

  it("leaves left-to-right text alone, and keeps a date whole when it stands alone", () => {
    expect(order("Invoice C-202610-100000001", "ltr")).toEqual(["L:Invoice C-202610-100000001"]);
    expect(order("2026-10-15")).toEqual(["L:2026-10-15"]);
    expect(order("12,500.00")).toEqual(["L:12,500.00"]);
  });

  it("keeps a Latin name inside Arabic as one left-to-right run", () => {
    expect(order("المشترك Ravi Kumar رقم 2935233920")).toEqual([
      "L:2935233920",
      "R: رقم ",
      "L:Ravi Kumar",
      "R:المشترك ",
    ]);
    expect(order("")).toEqual([]);
  });
});
