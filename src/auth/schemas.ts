import { z } from "@hono/zod-openapi";

export const StaffRoleSchema = z.enum(["AGENCY_ADMIN", "ACCOUNTANT"]).openapi("StaffRole");

export const StaffLoginBody = z
  .object({
    email: z.email().max(254),
    password: z.string().min(1).max(1024),
  })
  .openapi("StaffLoginBody");

export const StaffUserResponse = z
  .object({
    id: z.string().openapi({ example: "stf_019a7c3e5b2f7d7e8b0c4d2e1f3a5b6c" }),
    email: z.email(),
    displayName: z.string(),
    role: StaffRoleSchema,
  })
  .openapi("StaffUser");

export const StaffSessionResponse = z
  .object({
    token: z.string().openapi({ description: "Bearer token; also set as the HttpOnly session cookie" }),
    expiresAt: z.iso.datetime(),
    staffUser: StaffUserResponse,
  })
  .openapi("StaffSession");

export const CreateStaffUserBody = z
  .object({
    email: z.email().max(254),
    displayName: z.string().trim().min(1).max(200),
    password: z.string().min(12).max(1024),
    role: StaffRoleSchema,
  })
  .openapi("CreateStaffUserBody");
