import type { Logger } from "../shared/logger.js";

/** One text message (or email) handed to a provider. */
export type OutgoingMessage = { id: string; recipient: string; body: string };

/** What the provider said: its own id for the message, when it gives one. */
export type SendReceipt = { providerMessageId?: string | undefined };

/**
 * Sends SMS. The default (`LogSmsSender`) only logs: the outbox table keeps the message, so
 * local use and tests read codes from there; `HttpSmsGateway` talks to a real provider.
 */
export interface SmsSender {
  readonly name: string;
  /**
   * True when the outbox is where recipients read their messages (the log sender: local use and
   * tests). Otherwise a message carrying a one-time code has its body redacted once it leaves the
   * queue, so the database and its backups never hold a usable code longer than it takes to send.
   */
  readonly readFromOutbox: boolean;
  send(message: OutgoingMessage): Promise<SendReceipt>;
}

/** Sends email; only the logging sender exists so far (an SMTP or API adapter slots in here). */
export interface EmailSender {
  readonly name: string;
  /** As SmsSender's. */
  readonly readFromOutbox: boolean;
  send(message: OutgoingMessage): Promise<SendReceipt>;
}

/** +966501234567 → +9665******67: enough for support to match a complaint, not enough to dial. */
export function maskMobile(mobile: string): string {
  return mobile.length > 6 ? `${mobile.slice(0, 5)}${"*".repeat(mobile.length - 7)}${mobile.slice(-2)}` : "***";
}

export function maskEmail(email: string): string {
  const [local = "", domain = ""] = email.split("@");
  return `${local.slice(0, 1)}***@${domain}`;
}

/**
 * Writes the message to the log (the recipient masked, the body whole) and reports it sent.
 * For local use and tests only: a production deployment configures SMS_GATEWAY_URL.
 */
export function createLogSmsSender(logger: Logger): SmsSender {
  return {
    name: "log",
    readFromOutbox: true,
    async send(message) {
      logger.info({ messageId: message.id, to: maskMobile(message.recipient), body: message.body }, "sms (log sender)");
      return {};
    },
  };
}

export function createLogEmailSender(logger: Logger): EmailSender {
  return {
    name: "log",
    readFromOutbox: true,
    async send(message) {
      logger.info(
        { messageId: message.id, to: maskEmail(message.recipient), body: message.body },
        "email (log sender)",
      );
      return {};
    },
  };
}

export type HttpSmsGatewayOptions = {
  /** The provider's send endpoint, e.g. https://sms.example.sa/v1/messages. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token: string;
  /** The registered sender name shown on the phone. */
  senderId: string;
  timeoutMs?: number;
};

export class SmsGatewayError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "SmsGatewayError";
  }
}

/**
 * A JSON-over-HTTPS SMS gateway, the shape Saudi providers (Unifonic, Taqnyat, Msegat) share:
 * POST {recipient, sender, body} with a bearer token, answered by {id}. The message id is sent as
 * `Idempotency-Key` so a retried request is not a second text on gateways that honour it.
 * 4xx answers are not retried (a bad number stays bad); 5xx, 429 and network errors are.
 */
export function createHttpSmsGateway(options: HttpSmsGatewayOptions): SmsSender {
  return {
    name: "http",
    readFromOutbox: false,
    async send(message) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${options.token}`,
            "idempotency-key": message.id,
          },
          body: JSON.stringify({ recipient: message.recipient, sender: options.senderId, body: message.body }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new SmsGatewayError(`SMS gateway unreachable: ${(error as Error).message}`, true);
      }
      const text = await response.text();
      if (!response.ok) {
        const retryable = response.status >= 500 || response.status === 429;
        throw new SmsGatewayError(`SMS gateway answered ${response.status}: ${text.slice(0, 200)}`, retryable);
      }
      const parsed = text ? (JSON.parse(text) as { id?: unknown }) : {};
      return { providerMessageId: typeof parsed.id === "string" ? parsed.id : undefined };
    },
  };
}
