/** Who is making a request, set by the authentication middleware. */
export type StaffRole = "AGENCY_ADMIN" | "ACCOUNTANT";

export type StaffActor = { kind: "staff"; staffUserId: string; role: StaffRole; sessionId: string };

/** An establishment's admin signed in, or its payroll system calling with an API key. */
export type EstablishmentActor = {
  kind: "establishment";
  establishmentId: string;
  via: { type: "session"; userId: string; sessionId: string } | { type: "api_key"; apiKeyId: string };
};

/** A subscriber signed in to the portal with their own account. */
export type SubscriberActor = { kind: "subscriber"; subscriberId: string; accountId: string; sessionId: string };

export type Actor = StaffActor | EstablishmentActor | SubscriberActor;
