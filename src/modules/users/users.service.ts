import { randomUUID } from "node:crypto";
import type { PrismaClient, User } from "../../generated/prisma/client.js";
import { checkPasswordRules, decoyPasswordHash, hashPassword, verifyPassword } from "../../auth/passwords.js";
import { signUserToken, type JwtSettings } from "../../auth/jwt.js";
import { badUserInput, fleetError, isUniqueViolation, unauthenticated } from "../../errors.js";
import type { Clock } from "../../services.js";

export interface AuthResult {
  token: string;
  user: User;
}

// Addresses are compared case-insensitively: two accounts for one mailbox help nobody.
export const EMAIL_MAX_LENGTH = 254;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function createUsersService(prisma: PrismaClient, jwt: JwtSettings, clock: Clock) {
  const issue = (user: User): AuthResult => ({ token: signUserToken(jwt, user.id), user });

  return {
    async signUp(email: string, password: string): Promise<AuthResult> {
      // RFC 5321 caps a forward path at 256 octets, so 254 characters for the address itself.
      if (email.length > EMAIL_MAX_LENGTH) throw badUserInput(`Email address must be at most ${EMAIL_MAX_LENGTH} characters.`);
      checkPasswordRules(password);
      const passwordHash = await hashPassword(password);
      try {
        const user = await prisma.user.create({
          data: { id: randomUUID(), email: normalizeEmail(email), passwordHash, createdAt: clock.now() },
        });
        return issue(user);
      } catch (error) {
        if (isUniqueViolation(error)) throw fleetError("EMAIL_TAKEN", "That email address is already registered.");
        throw error;
      }
    },

    async logIn(email: string, password: string): Promise<AuthResult> {
      const refused = () => unauthenticated("Email or password is incorrect.");
      // Overlong input is refused before hashing: argon2 on megabytes would be a cheap DoS.
      if ([...password].length > 256) throw refused();
      const user = await prisma.user.findUnique({ where: { email: normalizeEmail(email) } });
      if (!user) {
        await verifyPassword(await decoyPasswordHash(), password);
        throw refused();
      }
      if (!(await verifyPassword(user.passwordHash, password))) throw refused();
      return issue(user);
    },

    async byId(id: string): Promise<User | null> {
      return prisma.user.findUnique({ where: { id } });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
