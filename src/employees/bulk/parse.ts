import { parse } from "csv-parse";
import { AppError } from "../../shared/errors.js";
import type { RawUploadRow } from "./row.js";

export type UploadFormat = "csv" | "jsonl";
export type ParsedRow = { line: number; raw: RawUploadRow } | { line: number; error: string };

/** Each chunk of the request body as it arrives, counted against the size limit. */
async function* bodyChunks(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  const reader = body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    total += chunk.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new AppError("PAYLOAD_TOO_LARGE", `an upload is at most ${maxBytes} bytes`);
    }
    yield chunk.value;
  }
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
    const parser = parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: false,
    });
    const feeding = (async () => {
      try {
        for await (const chunk of bodyChunks(body, maxBytes)) {
          if (!parser.write(chunk)) await new Promise((resolve) => parser.once("drain", resolve));
        }
        parser.end();
      } catch (error) {
        parser.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    })();
    try {
      for await (const record of parser as AsyncIterable<{ record: RawUploadRow; info: { lines: number } }>) {
        yield { line: record.info.lines, raw: record.record };
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(
        "VALIDATION_FAILED",
        `the CSV cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
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
