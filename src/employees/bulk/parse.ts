import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import { AppError } from "../../shared/errors.js";
import { type RawUploadRow, uploadColumns, uploadHeaderProblems } from "./row.js";

export type UploadFormat = "csv" | "jsonl";
export type ParsedRow = { line: number; raw: RawUploadRow } | { line: number; error: string };

/** Each chunk of the request body as it arrives, counted against the size limit. */
async function* bodyChunks(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  const reader = body.getReader();
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      total += chunk.value.byteLength;
      if (total > maxBytes) throw new AppError("PAYLOAD_TOO_LARGE", `an upload is at most ${maxBytes} bytes`);
      yield chunk.value;
    }
  } finally {
    // Stopped early (too large, unreadable, or the reader gave up): the rest is not wanted.
    await reader.cancel().catch(() => undefined);
  }
}

/** The header's problems, or none, as the CSV parser read it. */
function headerError(problems: { path: string; message: string }[] | undefined): AppError | undefined {
  if (problems === undefined || problems.length === 0) return undefined;
  return new AppError(
    "VALIDATION_FAILED",
    `the CSV header must name the upload's columns (${uploadColumns.join(", ")})`,
    problems,
  );
}

/**
 * Rows of a CSV (header row first; line numbers count the header as line 1) or JSON Lines
 * body, parsed as the bytes arrive: the body is never held whole in memory.
 */
export async function* parseUploadRows(
  body: ReadableStream<Uint8Array>,
  format: UploadFormat,
  maxBytes: number,
): AsyncGenerator<ParsedRow> {
  if (format === "csv") {
    let headerProblems: { path: string; message: string }[] | undefined;
    const parser = parse({
      columns: (header: string[]) => {
        const names = header.map((column) => String(column).trim());
        headerProblems = uploadHeaderProblems(names);
        return names;
      },
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: false,
    });
    // pipeline carries backpressure and ends both sides together: when the parser fails (a
    // malformed record) or the reader stops, the body stops being read; when the body fails (too
    // large), the parser fails with its error. Its rejection is the iterator's error, read below.
    const feeding = pipeline(Readable.from(bodyChunks(body, maxBytes)), parser).catch(() => undefined);
    try {
      for await (const record of parser as AsyncIterable<{ record: RawUploadRow; info: { lines: number } }>) {
        const refused = headerError(headerProblems);
        if (refused) throw refused;
        yield { line: record.info.lines, raw: record.record };
      }
      const refused = headerError(headerProblems);
      if (refused) throw refused;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(
        "VALIDATION_FAILED",
        `the CSV cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      parser.destroy();
      await feeding;
    }
    return;
  }

  const decoder = new TextDecoder();
  let pending = "";
  let line = 0;
  const toRow = (text: string): ParsedRow | undefined => {
    line += 1;
    if (text.trim() === "") return undefined;
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return { line, error: "a line is one JSON object" };
      return { line, raw: value as RawUploadRow };
    } catch {
      return { line, error: "not valid JSON" };
    }
  };
  for await (const chunk of bodyChunks(body, maxBytes)) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline !== -1) {
      const row = toRow(pending.slice(0, newline));
      if (row) yield row;
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  const last = toRow(pending);
  if (last) yield last;
}
