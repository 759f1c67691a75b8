import type { Config } from "../config.js";
import type { Logger } from "../shared/logger.js";
import { createHttpSmsGateway, createLogSmsSender, type SmsSender } from "./senders.js";

/** The SMS sender the configuration asks for: the provider's gateway, or the log. */
export function configuredSmsSender(config: Config, logger: Logger): SmsSender {
  return config.sms.kind === "http"
    ? createHttpSmsGateway({ url: config.sms.url, token: config.sms.token, senderId: config.sms.senderId })
    : createLogSmsSender(logger);
}
