import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogSmsSender, maskEmail, maskMobile } from "../../src/messaging/senders.js";
import { createLogger } from "../../src/shared/logger.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: "info", destination }), lines };
}

describe("personal identifiers in logs", () => {
  it("redacts ID numbers, dates of birth and secrets wherever they sit in a logged object", () => {
    const { logger, lines } = capture();
    logger.info(
      { idNumber: "1000000008", person: { identifierNumber: "2000000006", dateOfBirth: "1990-05-05" }, password: "x" },
      "registration",
    );
    const logged = lines.join("");
    expect(logged).not.toContain("1000000008");
    expect(logged).not.toContain("2000000006");
    expect(logged).not.toContain("1990-05-05");
    expect(logged).toContain("[redacted]");
  });

  it("masks the recipient of a logged SMS", async () => {
    const { logger, lines } = capture();
    await createLogSmsSender(logger).send({ id: "msg_1", recipient: "+966551234567", body: "code 123456" });
    expect(lines.join("")).not.toContain("+966551234567");
    expect(lines.join("")).toContain(maskMobile("+966551234567"));
    expect(maskMobile("+966551234567")).toBe("+9665******67");
    expect(maskEmail("someone@example.sa")).toBe("s***@example.sa");
  });
});
