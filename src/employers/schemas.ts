import { z } from "@hono/zod-openapi";

export const EstablishmentIdParams = z.object({
  establishmentId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "establishmentId", in: "path" }, example: "est_019a…" }),
});

export const RegisterEstablishmentBody = z
  .object({
    nameAr: z.string().trim().min(1).max(200).openapi({ example: "مؤسسة النور للتجارة" }),
    nameEn: z.string().trim().min(1).max(200).openapi({ example: "Al-Noor Trading" }),
    commercialRegistration: z.string().max(20).optional().openapi({ example: "1010123456" }),
    unifiedNumber: z.string().max(20).optional().openapi({ example: "7001234567" }),
    contactEmail: z.email().max(254),
    contactMobile: z.string().max(20).openapi({ example: "0501234567" }),
    city: z.string().trim().min(1).max(100).openapi({ example: "Riyadh" }),
    admin: z.object({ email: z.email().max(254), password: z.string().min(1).max(1024) }),
  })
  .openapi("RegisterEstablishmentBody");

export const EstablishmentResponse = z
  .object({
    id: z.string(),
    registrationNumber: z.string().openapi({ example: "100000001", description: "Issued by Ishtirak, 9 digits" }),
    nameAr: z.string(),
    nameEn: z.string(),
    commercialRegistration: z.string().nullable(),
    unifiedNumber: z.string().nullable(),
    contactEmail: z.string(),
    contactMobile: z.string().openapi({ example: "+966501234567" }),
    city: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi("Establishment");

export const RegisteredEstablishmentResponse = z
  .object({ establishment: EstablishmentResponse, admin: z.object({ id: z.string(), email: z.string() }) })
  .openapi("RegisteredEstablishment");

export const EstablishmentLoginBody = z
  .object({ email: z.email().max(254), password: z.string().min(1).max(1024) })
  .openapi("EstablishmentLoginBody");

export const EstablishmentSessionResponse = z
  .object({
    token: z.string(),
    expiresAt: z.iso.datetime(),
    user: z.object({ id: z.string(), email: z.string(), establishmentId: z.string() }),
  })
  .openapi("EstablishmentSession");

export const CreateApiKeyBody = z.object({ name: z.string().trim().min(1).max(100) }).openapi("CreateApiKeyBody");

export const ApiKeyResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    displayPrefix: z.string().openapi({ description: "The key's first characters, to tell keys apart" }),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi("ApiKey");

export const CreatedApiKeyResponse = ApiKeyResponse.extend({
  key: z.string().openapi({ description: "The key itself: shown this once, stored only as a hash" }),
}).openapi("CreatedApiKey");

export const ApiKeyListResponse = z.object({ apiKeys: z.array(ApiKeyResponse) }).openapi("ApiKeyList");

export const ApiKeyParams = EstablishmentIdParams.extend({
  keyId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "keyId", in: "path" } }),
});
