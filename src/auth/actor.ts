/** Who is making a request, set by the authentication middleware. */
export type StaffRole = "AGENCY_ADMIN" | "ACCOUNTANT";

export type Actor = { kind: "staff"; staffUserId: string; role: StaffRole; sessionId: string };
