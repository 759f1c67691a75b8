import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvField, csvRows } from "../../src/exports/csv.js";

describe("CSV writer", () => {
  it("round-trips any text through csv-parse", () => {
    const field = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom('"', ",", "\n", "\r", "\r\n", "a", "ب", " ") }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 2, maxLength: 6 }), { minLength: 1, maxLength: 10 }),
        (rows) => {
          const width = rows[0]?.length ?? 0;
          const table = rows.map((row) => Array.from({ length: width }, (_, index) => row[index] ?? ""));
          expect(parse(csvRows(table), { relax_column_count: false })).toEqual(table);
        },
      ),
    );
  });

  it("quotes only when needed", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvField(42)).toBe("42");
  });
});
