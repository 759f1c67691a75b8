import { z } from "@hono/zod-openapi";

export const IssueCertificateBody = z
  .object({
    purpose: z.string().trim().min(1).max(200).optional().openapi({ example: "Bank loan application" }),
    addressee: z.string().trim().min(1).max(200).optional().openapi({ example: "Al Rajhi Bank" }),
  })
  .openapi("IssueCertificateBody");

export const CertificateSummary = z
  .object({
    id: z.string(),
    number: z.string(),
    verificationCode: z.string().openapi({ example: "7K3M-9Q2X-HT4P" }),
    issuedAt: z.iso.datetime(),
    verificationUrl: z.string(),
  })
  .openapi("CertificateSummary");

export const CertificateListResponse = z.object({ certificates: z.array(CertificateSummary) }).openapi("Certificates");

export const CertificateParams = z.object({
  subscriberId: z.string().min(1).max(64).openapi({ example: "me" }),
  certificateId: z.string().min(1).max(64),
});

export const VerifyParams = z.object({ code: z.string().min(1).max(32) });
export const VerifyQuery = z.object({
  idNumber: z.string().trim().min(1).max(32).openapi({ description: "The holder's national ID or iqama number" }),
});

export const VerificationResponse = z
  .object({
    genuine: z.boolean().openapi({ description: "false: the stored certificate no longer matches its signature" }),
    number: z.string(),
    certificate: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "Exactly what the certificate holds" }),
  })
  .openapi("CertificateVerification");

export const SigningKeyResponse = z
  .object({ keyId: z.string(), algorithm: z.literal("Ed25519"), publicKeyPem: z.string() })
  .openapi("CertificateSigningKey");

export const SigningKeysResponse = z
  .object({
    keys: z.array(
      SigningKeyResponse.extend({
        status: z.enum(["current", "retired"]).openapi({
          description: "current signs new certificates; retired only verifies those signed before it was replaced",
        }),
      }),
    ),
  })
  .openapi("CertificateSigningKeys");
