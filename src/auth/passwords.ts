// argon2id with @node-rs/argon2's defaults (OWASP's recommended parameters).
import { hash, verify } from "@node-rs/argon2";
import { badUserInput } from "../errors.js";

// NIST SP 800-63B-4: at least 15 characters for a password used as a single factor.
export const PASSWORD_MIN_LENGTH = 15;
export const PASSWORD_MAX_LENGTH = 256;

export function checkPasswordRules(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw badUserInput(`Password must be at least ${PASSWORD_MIN_LENGTH} characters.`);
  if (length > PASSWORD_MAX_LENGTH) throw badUserInput(`Password must be at most ${PASSWORD_MAX_LENGTH} characters.`);
}

export const hashPassword = (password: string) => hash(password);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Verifying against a real hash when the email is unknown keeps logIn's timing the same
// for unknown and known addresses.
let decoyHash: Promise<string> | null = null;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hash("fleetql-decoy-password-not-used");
  return decoyHash;
}
