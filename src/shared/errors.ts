import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every error Ishtirak answers with, and its HTTP status. The one table: `renderError` maps
 * through it and the OpenAPI document's error responses are generated from it.
 */
export const errorStatus = {
  /** The request's parameters, query or body break their schema; `details` lists every issue. */
  VALIDATION_FAILED: 400,
  /** The body declared as JSON does not parse. */
  MALFORMED_JSON: 400,
  /** No route has this path. */
  ROUTE_NOT_FOUND: 404,
  /** The path exists, but not for this method; the `Allow` header lists the ones that do. */
  METHOD_NOT_ALLOWED: 405,
  /** The body is longer than the limit for this route. */
  PAYLOAD_TOO_LARGE: 413,
  /** The body is not in a media type the route accepts. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A national ID or iqama that is not 10 digits (identifiers.md §1). */
  ID_FORMAT_INVALID: 400,
  /** 10 digits, but starting with neither 1 (national ID) nor 2 (iqama). */
  ID_TYPE_UNKNOWN: 400,
  /** The 10th digit of a national ID or iqama fails the Luhn check. */
  ID_CHECK_DIGIT_INVALID: 400,
  /** A wage component below zero. */
  WAGE_NEGATIVE: 400,
  /** An amount with more than two decimals (halalas). */
  AMOUNT_PRECISION_EXCEEDED: 400,
  /** A commercial registration that is not 10 digits (identifiers.md §4). */
  COMMERCIAL_REGISTRATION_INVALID: 400,
  /** A unified national number that is not 10 digits starting with 7 (identifiers.md §5). */
  UNIFIED_NUMBER_INVALID: 400,
  /** An establishment needs its commercial registration or its unified number, or both. */
  ESTABLISHMENT_IDENTIFIER_REQUIRED: 400,
  /** Not a Saudi mobile number (05XXXXXXXX or +9665XXXXXXXX; block 52 does not exist). */
  MOBILE_INVALID: 400,
  /** A password the policy refuses (staff: 12 characters; subscribers: see docs/subscribers.md). */
  PASSWORD_TOO_WEAK: 400,
  /** The email and its confirmation differ. */
  EMAIL_MISMATCH: 400,
  /** The password and its confirmation differ. */
  PASSWORD_MISMATCH: 400,
  /** The mobile number and its confirmation differ. */
  MOBILE_MISMATCH: 400,
  /** Registration needs the terms accepted. */
  TERMS_NOT_ACCEPTED: 400,
  /** The captcha's answer is wrong, or the captcha is unknown or used already (each is good once). */
  CAPTCHA_INVALID: 400,
  /** The captcha is older than its lifetime (5 minutes): ask for a new one. */
  CAPTCHA_EXPIRED: 400,
  /** A date range whose end is before its start. */
  DATE_RANGE_REVERSED: 400,
  /** A date range longer than the endpoint serves in one request. */
  DATE_RANGE_TOO_LONG: 400,
  /** No valid session or bearer token came with a request that needs one. */
  AUTHENTICATION_REQUIRED: 401,
  /** Login with an unknown email or a wrong password (the two are not told apart). */
  INVALID_CREDENTIALS: 401,
  /** The caller is signed in but its role may not do this. */
  ROLE_NOT_PERMITTED: 403,
  /** API keys are for data; managing keys needs an admin's signed-in session. */
  API_KEY_NOT_PERMITTED: 403,
  /** No establishment with this id that the caller may see (another tenant's answers the same). */
  ESTABLISHMENT_NOT_FOUND: 404,
  /** No employee with this id at the establishment. */
  EMPLOYEE_NOT_FOUND: 404,
  /** No live API key with this id in the establishment. */
  API_KEY_NOT_FOUND: 404,
  /** The account named in the path is not in the chart of accounts. */
  LEDGER_ACCOUNT_NOT_FOUND: 404,
  /** No billing run has this id. */
  BILLING_RUN_NOT_FOUND: 404,
  /** No rate set starts in this month. */
  RATE_SET_NOT_FOUND: 404,
  /** No invoice with this id for the establishment (another establishment's answers the same). */
  INVOICE_NOT_FOUND: 404,
  /** No insured person with this ID number (and date of birth), or not one the caller may see. */
  SUBSCRIBER_NOT_FOUND: 404,
  /** No pending registration with this id: unknown, expired (after 30 minutes) or completed. */
  REGISTRATION_NOT_FOUND: 404,
  /** No pending change with this id for the signed-in subscriber. */
  CONTACT_CHANGE_NOT_FOUND: 404,
  /** No certificate with this code for this ID number (or, signed in, with this id). */
  CERTIFICATE_NOT_FOUND: 404,
  /** No late fine with this id. */
  LATE_FINE_NOT_FOUND: 404,
  /** No journal entry has this id. */
  LEDGER_ENTRY_NOT_FOUND: 404,
  /** The entry was reversed already; an entry is reversed at most once. */
  LEDGER_ENTRY_ALREADY_REVERSED: 409,
  /** An establishment with this unified number is registered already. */
  ESTABLISHMENT_ALREADY_REGISTERED: 409,
  /** The person already has an active employment at this establishment. */
  EMPLOYMENT_ALREADY_ACTIVE: 409,
  /** The new employment would start before an earlier one at this establishment ended. */
  EMPLOYMENT_PERIOD_OVERLAPS: 409,
  /** The employment has ended already. */
  EMPLOYMENT_NOT_ACTIVE: 409,
  /** The ID number is registered with a different date of birth: another person, or a typo. */
  SUBSCRIBER_DETAILS_MISMATCH: 409,
  /** The same person appears on more than one row of an upload. */
  DUPLICATE_ROW: 409,
  /** A user with this email exists already. */
  USER_EMAIL_TAKEN: 409,
  /** The ID number has a portal account already: sign in, or reset the password. */
  ACCOUNT_ALREADY_EXISTS: 409,
  /** A request with the same Idempotency-Key is still being handled. */
  IDEMPOTENCY_KEY_IN_USE: 409,
  /** A staff user with this email exists already. */
  STAFF_EMAIL_TAKEN: 409,
  /** A month is billed after the run for the month before it; `message` names the month to bill first. */
  BILLING_MONTH_OUT_OF_ORDER: 409,
  /** The previous month's run has not completed yet. */
  BILLING_RUN_IN_PROGRESS: 409,
  /** A rate set starts in this month already: withdraw it (if unused) before adding another. */
  RATE_SET_EXISTS: 409,
  /** The invoice was voided already. */
  INVOICE_ALREADY_VOID: 409,
  /** Money was applied to the invoice: refund or reallocate it before voiding. */
  INVOICE_HAS_SETTLEMENTS: 409,
  /** Late fines on the invoice are not waived: waive them before voiding. */
  INVOICE_HAS_FINES: 409,
  /** The fine was waived already. */
  LATE_FINE_ALREADY_WAIVED: 409,
  /** The one-time code is wrong; `details` says how many tries are left. */
  OTP_INVALID: 422,
  /** The one-time code is older than 5 minutes: ask for a new one. */
  OTP_EXPIRED: 422,
  /** Five wrong tries: the code is void; ask for a new one. */
  OTP_ATTEMPTS_EXCEEDED: 422,
  /** Debits and credits differ, a line is zero, or the entry has too few or too many lines. */
  LEDGER_ENTRY_UNBALANCED: 422,
  /** A posting names an account outside the chart of accounts. */
  LEDGER_ACCOUNT_UNKNOWN: 422,
  /** A control account line without its establishment, or another account's line with one. */
  LEDGER_ESTABLISHMENT_DIMENSION: 422,
  /** The same idempotency key came with a different request than the first time. */
  IDEMPOTENCY_KEY_REUSED: 422,
  /** A Saudi registered with an iqama number (iqamas start with 2). */
  IQAMA_GIVEN_FOR_SAUDI: 422,
  /** A non-Saudi registered with a national ID number (national IDs start with 1). */
  NATIONAL_ID_GIVEN_FOR_NON_SAUDI: 422,
  /** A start date more than 24 months back (billing-cycle.md §5: the retroactive limit). */
  START_DATE_TOO_FAR_BACK: 422,
  /** A start date after the end of the current month. */
  START_DATE_IN_FUTURE: 422,
  /** An end date before the employment's start date. */
  EMPLOYMENT_END_BEFORE_START: 422,
  /** The wage's month is outside every employment of the person at this establishment. */
  WAGE_MONTH_OUTSIDE_EMPLOYMENT: 422,
  /** A wage for a month more than 24 months back, or more than 12 ahead. */
  WAGE_MONTH_OUT_OF_RANGE: 422,
  /** A change to an already billed month needs the reason for the correction. */
  CORRECTION_REASON_REQUIRED: 422,
  /** The month has not ended (or is in the future): a month is billed from the 1st of the next. */
  BILLING_MONTH_NOT_ENDED: 422,
  /** No rate set is in force in the month (Ishtirak bills from February 2022). */
  BILLING_MONTH_BEFORE_RATES: 422,
  /** The month is before the first month Ishtirak billed; it is not billed or corrected here. */
  BILLING_MONTH_BEFORE_FIRST_RUN: 422,
  /** A rate set must give every rate of every population exactly once (no gaps, no overlaps). */
  RATE_SET_INCOMPLETE: 422,
  /** Rate sets start in a future month that no run has billed; a set in use is never changed. */
  RATE_SET_NOT_IN_FUTURE: 422,
  /** An upload (all-or-nothing) had rows that failed; `details` lists each with its line and codes. */
  UPLOAD_ROWS_REJECTED: 422,
  /** An upload holds more rows than one request may (100,000). */
  UPLOAD_TOO_MANY_ROWS: 413,
  /** The Stripe-Signature header is missing, does not match the body, or is older than 5 minutes. */
  WEBHOOK_SIGNATURE_INVALID: 400,
  /** The signed body is not a JSON Stripe event (id evt_..., type, created, data.object). */
  WEBHOOK_PAYLOAD_INVALID: 400,
  /** Invoices are paid in SAR only. */
  PAYMENT_CURRENCY_UNSUPPORTED: 400,
  /** A payment amount of zero or less. */
  PAYMENT_AMOUNT_INVALID: 400,
  /** No payment attempt with this id for the establishment. */
  PAYMENT_ATTEMPT_NOT_FOUND: 404,
  /** No reconciliation run with this id. */
  RECONCILIATION_RUN_NOT_FOUND: 404,
  /** The invoice owes nothing: paid in full (or its adjustments leave it at zero or below). */
  INVOICE_ALREADY_PAID: 409,
  /** The invoice was voided with a credit note; it is not paid. */
  INVOICE_VOID: 409,
  /** There is no credit balance to apply. */
  CREDIT_BALANCE_EMPTY: 409,
  /** A payment above what the invoice still owes (overpayment is refused up front). */
  PAYMENT_AMOUNT_ABOVE_OUTSTANDING: 422,
  /** A new code was sent less than a minute ago; `Retry-After` says when to ask again. */
  OTP_RESEND_TOO_SOON: 429,
  /** The number (or address) had its codes for the hour or the day; `Retry-After` says when. */
  OTP_SEND_LIMIT_REACHED: 429,
  /** Too many failed sign-ins for this ID number: locked for a while; `Retry-After` says how long. */
  SIGN_IN_LOCKED: 429,
  /** Too many requests from this client to a public service; `Retry-After` says when to come back. */
  RATE_LIMITED: 429,
  /** Stripe refused the request or could not be reached; nothing was charged. */
  PAYMENT_PROCESSOR_UNAVAILABLE: 502,
  /** Something failed that the request could not have caused; details are in the log only. */
  INTERNAL: 500,
  /** The database is unreachable or has migrations still to apply. */
  NOT_READY: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

export type ErrorDetail = { path?: string; message: string; [key: string]: unknown };

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: readonly ErrorDetail[],
    /** Sent as `Retry-After` (429s): when asking again can succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): ContentfulStatusCode {
    return errorStatus[this.code];
  }
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; details?: readonly ErrorDetail[]; requestId?: string };
};

export function errorBody(error: AppError, requestId: string | undefined): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      ...(requestId === undefined ? {} : { requestId }),
    },
  };
}
