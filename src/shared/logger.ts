import pino from "pino";

export type Logger = pino.Logger;

/**
 * Structured JSON logs (pino). Secrets and personal identifiers are redacted by path
 * wherever they appear in a logged object.
 */
export const redactedLogPaths = [
  "password",
  "*.password",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "*.headers.cookie",
  // Personal identifiers: a log line says what happened, never to whom (support finds the
  // person by request id). The log SMS sender masks the recipient itself.
  "idNumber",
  "*.idNumber",
  "identifierNumber",
  "*.identifierNumber",
  "dateOfBirth",
  "*.dateOfBirth",
];

export function createLogger(options: { level: pino.LevelWithSilent; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "ishtirak" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedLogPaths, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
