/**
 * Subscriber passwords (portal.md §5.3): 8 to 128 characters with an upper-case letter, a
 * lower-case letter and a digit, and not containing the person's own ID number. Stored only as
 * an argon2id hash (auth/service.ts).
 */
export const subscriberPasswordLength = { min: 8, max: 128 } as const;

/** What is missing, one message per rule broken; empty when the password is acceptable. */
export function subscriberPasswordProblems(password: string, idNumber?: string): string[] {
  const problems: string[] = [];
  if (password.length < subscriberPasswordLength.min)
    problems.push(`at least ${subscriberPasswordLength.min} characters`);
  if (password.length > subscriberPasswordLength.max)
    problems.push(`at most ${subscriberPasswordLength.max} characters`);
  if (!/\p{Lu}/u.test(password)) problems.push("an upper-case letter");
  if (!/\p{Ll}/u.test(password)) problems.push("a lower-case letter");
  if (!/\p{Nd}/u.test(password)) problems.push("a digit");
  if (idNumber && password.includes(idNumber)) problems.push("not the ID number");
  return problems;
}
