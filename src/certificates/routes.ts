import { createRoute } from "@hono/zod-openapi";
import type { ErrorCode } from "../shared/errors.js";
import { clientAddress, createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import { subscriberActor } from "../subscribers/middleware.js";
import { SubjectParams } from "../subscribers/schemas.js";
import {
  CertificateListResponse,
  CertificateParams,
  CertificateSummary,
  IssueCertificateBody,
  SigningKeyResponse,
  SigningKeysResponse,
  VerificationResponse,
  VerifyParams,
  VerifyQuery,
} from "./schemas.js";
import type { CertificateService } from "./service.js";

const tags = ["Certificates"];
const subscriberErrors: ErrorCode[] = ["AUTHENTICATION_REQUIRED", "SUBSCRIBER_NOT_FOUND"];

const issue = createRoute({
  method: "post",
  path: "/v1/subscribers/{subscriberId}/certificates",
  tags,
  summary: "Issue a certificate of contribution periods and wages (signed, with a verification code)",
  security: sessionSecurity,
  request: { params: SubjectParams, body: { required: false, ...jsonContent(IssueCertificateBody) } },
  responses: {
    201: { description: "Issued", ...jsonContent(CertificateSummary) },
    ...errorResponses(...subscriberErrors),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/subscribers/{subscriberId}/certificates",
  tags,
  summary: "Certificates issued to the subscriber, newest first",
  security: sessionSecurity,
  request: { params: SubjectParams },
  responses: {
    200: { description: "Certificates", ...jsonContent(CertificateListResponse) },
    ...errorResponses(...subscriberErrors),
  },
});

const pdf = createRoute({
  method: "get",
  path: "/v1/subscribers/{subscriberId}/certificates/{certificateId}/pdf",
  tags,
  summary: "The certificate as a PDF (Arabic and English, QR code to the verification)",
  security: sessionSecurity,
  request: { params: CertificateParams },
  responses: {
    200: { description: "PDF", content: { "application/pdf": { schema: { type: "string", format: "binary" } } } },
    ...errorResponses(...subscriberErrors, "CERTIFICATE_NOT_FOUND"),
  },
});

const verify = createRoute({
  method: "get",
  path: "/verify/{code}",
  tags: ["Public"],
  summary: "Check a certificate: its code with the holder's ID number; shows what it holds if genuine",
  request: { params: VerifyParams, query: VerifyQuery },
  responses: {
    200: { description: "The verification", ...jsonContent(VerificationResponse) },
    ...errorResponses(
      "ID_FORMAT_INVALID",
      "ID_TYPE_UNKNOWN",
      "ID_CHECK_DIGIT_INVALID",
      "CERTIFICATE_NOT_FOUND",
      "RATE_LIMITED",
    ),
  },
});

const signingKey = createRoute({
  method: "get",
  path: "/verify/key",
  tags: ["Public"],
  summary: "The public key certificates are signed with (Ed25519), for checking them offline",
  responses: { 200: { description: "Key", ...jsonContent(SigningKeyResponse) } },
});

const signingKeys = createRoute({
  method: "get",
  path: "/verify/keys",
  tags: ["Public"],
  summary: "Every public key a certificate may be signed with: the current one, then those retired",
  description:
    "Each certificate names its key id. After the signing key is replaced, certificates signed before still verify against the retired key.",
  responses: { 200: { description: "Keys", ...jsonContent(SigningKeysResponse) } },
});

export function certificateRoutes(deps: { certificates: CertificateService; trustProxy: boolean }) {
  const { certificates } = deps;
  return createRouter()
    .openapi(signingKey, (c) => c.json(certificates.publicKey(), 200))
    .openapi(signingKeys, (c) => c.json(certificates.publicKeys(), 200))
    .openapi(issue, async (c) => {
      const body = c.req.valid("json") ?? {};
      const issued = await certificates.issue(subscriberActor(c.get("actor")), c.req.valid("param").subscriberId, body);
      return c.json(issued, 201);
    })
    .openapi(list, async (c) =>
      c.json(await certificates.list(subscriberActor(c.get("actor")), c.req.valid("param").subscriberId), 200),
    )
    .openapi(pdf, async (c) => {
      const { subscriberId, certificateId } = c.req.valid("param");
      const document = await certificates.pdf(subscriberActor(c.get("actor")), subscriberId, certificateId);
      return c.body(new Uint8Array(document.pdf), 200, {
        "content-type": "application/pdf",
        "content-disposition": `attachment; filename="${document.number}.pdf"`,
        "cache-control": "private, no-store",
      });
    })
    .openapi(verify, async (c) => {
      const result = await certificates.verify(
        c.req.valid("param").code,
        c.req.valid("query").idNumber,
        clientAddress(c, deps.trustProxy),
      );
      return c.json(result, 200);
    });
}
