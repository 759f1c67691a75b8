import { createRoute } from "@hono/zod-openapi";
import { establishmentActor } from "../employers/middleware.js";
import { EstablishmentIdParams } from "../employers/schemas.js";
import { BusinessDate } from "../shared/business-date.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import { AppError, type ErrorCode } from "../shared/errors.js";
import { createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import type { UploadFormat } from "./bulk/parse.js";
import type { EmployeeUploader } from "./bulk/upload-employees.js";
import {
  EmployeeListQuery,
  EmployeeListResponse,
  EmployeeParams,
  EmployeeResponse,
  EndEmploymentBody,
  RecordWageBody,
  RegisterEmployeeBody,
  UploadQuery,
  UploadReportResponse,
} from "./schemas.js";
import type { EmployeeService } from "./service.js";

const tenantErrors: ErrorCode[] = ["AUTHENTICATION_REQUIRED", "ESTABLISHMENT_NOT_FOUND"];
const wageErrors: ErrorCode[] = ["WAGE_NEGATIVE", "AMOUNT_PRECISION_EXCEEDED"];

const registerEmployee = createRoute({
  method: "post",
  path: "/v1/establishments/{establishmentId}/employees",
  tags: ["Employees"],
  summary: "Register an employee: the person (if new), the employment and its first wage",
  security: sessionSecurity,
  request: { params: EstablishmentIdParams, body: { required: true, ...jsonContent(RegisterEmployeeBody) } },
  responses: {
    201: { description: "Registered", ...jsonContent(EmployeeResponse) },
    ...errorResponses(
      ...tenantErrors,
      ...wageErrors,
      "ID_FORMAT_INVALID",
      "ID_TYPE_UNKNOWN",
      "ID_CHECK_DIGIT_INVALID",
      "IQAMA_GIVEN_FOR_SAUDI",
      "NATIONAL_ID_GIVEN_FOR_NON_SAUDI",
      "SUBSCRIBER_DETAILS_MISMATCH",
      "EMPLOYMENT_ALREADY_ACTIVE",
      "EMPLOYMENT_PERIOD_OVERLAPS",
      "START_DATE_TOO_FAR_BACK",
      "START_DATE_IN_FUTURE",
    ),
  },
});

const listEmployees = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/employees",
  tags: ["Employees"],
  summary: "The establishment's employments, filtered, a page at a time (cursor)",
  security: sessionSecurity,
  request: { params: EstablishmentIdParams, query: EmployeeListQuery },
  responses: {
    200: { description: "A page", ...jsonContent(EmployeeListResponse) },
    ...errorResponses(...tenantErrors, "ID_FORMAT_INVALID"),
  },
});

const getEmployee = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/employees/{subscriberId}",
  tags: ["Employees"],
  summary: "One employee: employment periods here and wage history",
  security: sessionSecurity,
  request: { params: EmployeeParams },
  responses: {
    200: { description: "Employee", ...jsonContent(EmployeeResponse) },
    ...errorResponses(...tenantErrors, "EMPLOYEE_NOT_FOUND"),
  },
});

const endEmployment = createRoute({
  method: "post",
  path: "/v1/establishments/{establishmentId}/employees/{subscriberId}/end",
  tags: ["Employees"],
  summary: "End the employee's active employment with a date and a reason",
  security: sessionSecurity,
  request: { params: EmployeeParams, body: { required: true, ...jsonContent(EndEmploymentBody) } },
  responses: {
    200: { description: "Ended", ...jsonContent(EmployeeResponse) },
    ...errorResponses(...tenantErrors, "EMPLOYEE_NOT_FOUND", "EMPLOYMENT_NOT_ACTIVE", "EMPLOYMENT_END_BEFORE_START"),
  },
});

const recordWage = createRoute({
  method: "post",
  path: "/v1/establishments/{establishmentId}/employees/{subscriberId}/wages",
  tags: ["Wages"],
  summary: "Record a wage from a contribution month on (a billed month is a retroactive correction)",
  security: sessionSecurity,
  request: { params: EmployeeParams, body: { required: true, ...jsonContent(RecordWageBody) } },
  responses: {
    201: { description: "Recorded", ...jsonContent(EmployeeResponse) },
    ...errorResponses(
      ...tenantErrors,
      ...wageErrors,
      "EMPLOYEE_NOT_FOUND",
      "WAGE_MONTH_OUTSIDE_EMPLOYMENT",
      "WAGE_MONTH_OUT_OF_RANGE",
      "CORRECTION_REASON_REQUIRED",
    ),
  },
});

const uploadEmployees_ = createRoute({
  method: "post",
  path: "/v1/establishments/{establishmentId}/employees/bulk",
  tags: ["Direct link"],
  summary: "Register or update up to 100,000 employees from CSV or JSON Lines, streamed",
  description:
    "Columns (CSV header) or keys (JSON Lines): idNumber, nationality, gccCountry, name, dateOfBirth, occupation, startDate, basic, housing, otherAllowances, housingInKind, effectiveMonth, correctionReason, firstInsuredOn, hasEarlierContributionPeriods. A person not employed here is registered from startDate; a person employed here gets the wage from effectiveMonth (default: the current month) unless it is already the wage in force. Line numbers count the CSV header as line 1.",
  security: sessionSecurity,
  request: {
    params: EstablishmentIdParams,
    query: UploadQuery,
    body: {
      required: true,
      content: { "text/csv": { schema: { type: "string" } }, "application/jsonl": { schema: { type: "string" } } },
    },
  },
  responses: {
    200: { description: "Nothing new to write (a re-sent file)", ...jsonContent(UploadReportResponse) },
    201: { description: "Written; rejected rows listed when partial=true", ...jsonContent(UploadReportResponse) },
    ...errorResponses(
      ...tenantErrors,
      "UPLOAD_ROWS_REJECTED",
      "UPLOAD_TOO_MANY_ROWS",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "IDEMPOTENCY_KEY_REUSED",
    ),
  },
});

function uploadFormatOf(contentType: string | undefined): UploadFormat {
  const essence = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (essence === "text/csv") return "csv";
  if (essence === "application/jsonl" || essence === "application/x-ndjson" || essence === "application/json-lines")
    return "jsonl";
  throw new AppError("UNSUPPORTED_MEDIA_TYPE", "send text/csv or application/jsonl");
}

const dateText = (value: Date | null) => (value === null ? null : BusinessDate.fromDateColumn(value).toString());

type EmployeeView = Awaited<ReturnType<EmployeeService["getEmployee"]>>;

function toEmployeeResponse(employee: EmployeeView) {
  return {
    id: employee.id,
    idNumber: employee.identifierNumber,
    identifierKind: employee.identifierKind,
    nationality: employee.nationality,
    gccCountry: employee.gccCountry,
    name: employee.name,
    dateOfBirth: BusinessDate.fromDateColumn(employee.dateOfBirth).toString(),
    firstInsuredOn: BusinessDate.fromDateColumn(employee.firstInsuredOn).toString(),
    population: employee.population,
    employments: employee.employments.map((employment) => ({
      id: employment.id,
      occupation: employment.occupation,
      startDate: BusinessDate.fromDateColumn(employment.startDate).toString(),
      endDate: dateText(employment.endDate),
      endReason: employment.endReason,
      wages: employment.wages.map((wage) => ({
        id: wage.id,
        effectiveMonth: ContributionMonth.containing(BusinessDate.fromDateColumn(wage.effectiveMonth)).toString(),
        basic: wage.basic.toString(),
        housing: wage.housing.toString(),
        otherAllowances: wage.otherAllowances.toString(),
        housingInKind: wage.housingInKind,
        contributoryWage: wage.contributoryWage.toString(),
        isRetroactiveCorrection: wage.isRetroactiveCorrection,
        correctionReason: wage.correctionReason,
        recordedAt: wage.recordedAt.toISOString(),
        recordedBy: wage.recordedBy,
      })),
    })),
  };
}

/** Relies on the caller and idempotency middleware app.ts mounts under /v1/establishments/{id}. */
export function employeeRoutes(
  employees: EmployeeService,
  uploadEmployees: EmployeeUploader,
  uploadLimitBytes: number,
) {
  return createRouter()
    .openapi(uploadEmployees_, async (c) => {
      const body = c.req.raw.body;
      if (!body) throw new AppError("VALIDATION_FAILED", "the upload is empty");
      const key = c.req.header("idempotency-key");
      const answer = await uploadEmployees(establishmentActor(c.get("actor")), c.req.valid("param").establishmentId, {
        body,
        format: uploadFormatOf(c.req.header("content-type")),
        isPartialAllowed: c.req.valid("query").partial === "true",
        maxBytes: uploadLimitBytes,
        requestId: c.get("requestId"),
        ...(key === undefined ? {} : { idempotencyKey: key }),
      });
      // The answer is stored JSON, replayed byte for byte on a retry, so it goes out as it is;
      // zod-openapi types JSON routes' answers as c.json(...) results, hence the cast.
      return new Response(answer.body, {
        status: answer.status,
        headers: {
          "content-type": "application/json",
          "x-request-id": c.get("requestId"),
          ...(answer.isReplay ? { "Idempotent-Replayed": "true" } : {}),
        },
      }) as never;
    })
    .openapi(registerEmployee, async (c) => {
      const { establishmentId } = c.req.valid("param");
      const actor = establishmentActor(c.get("actor"));
      const subscriberId = await employees.registerEmployee(actor, establishmentId, c.req.valid("json"));
      return c.json(toEmployeeResponse(await employees.getEmployee(actor, establishmentId, subscriberId)), 201);
    })
    .openapi(listEmployees, async (c) => {
      const page = await employees.listEmployees(
        establishmentActor(c.get("actor")),
        c.req.valid("param").establishmentId,
        c.req.valid("query"),
      );
      return c.json(
        {
          employees: page.items.map(({ employment, subscriber, contributoryWage }) => ({
            id: subscriber.id,
            idNumber: subscriber.identifierNumber,
            name: subscriber.name,
            nationality: subscriber.nationality,
            employmentId: employment.id,
            occupation: employment.occupation,
            startDate: BusinessDate.fromDateColumn(employment.startDate).toString(),
            endDate: dateText(employment.endDate),
            contributoryWage: contributoryWage?.toString() ?? null,
          })),
          nextCursor: page.nextCursor ?? null,
        },
        200,
      );
    })
    .openapi(getEmployee, async (c) => {
      const { establishmentId, subscriberId } = c.req.valid("param");
      return c.json(
        toEmployeeResponse(
          await employees.getEmployee(establishmentActor(c.get("actor")), establishmentId, subscriberId),
        ),
        200,
      );
    })
    .openapi(endEmployment, async (c) => {
      const { establishmentId, subscriberId } = c.req.valid("param");
      const ended = await employees.endEmployment(
        establishmentActor(c.get("actor")),
        establishmentId,
        subscriberId,
        c.req.valid("json"),
      );
      return c.json(toEmployeeResponse(ended), 200);
    })
    .openapi(recordWage, async (c) => {
      const { establishmentId, subscriberId } = c.req.valid("param");
      const updated = await employees.recordWage(
        establishmentActor(c.get("actor")),
        establishmentId,
        subscriberId,
        c.req.valid("json"),
      );
      return c.json(toEmployeeResponse(updated), 201);
    });
}
