import { randomUUID } from "node:crypto";
import type { PrismaClient, User } from "../../generated/prisma/client.js";
import { checkPasswordRules, decoyPasswordHash, hashPassword, PASSWORD_MAX_LENGTH, verifyPassword } from "../../auth/passwords.js";
import { KEY_EVENT, type ApiKeyVerifier } from "../../auth/apiKeyVerifier.js";
import { signUserToken, type JwtSettings } from "../../auth/jwt.js";
import { badUserInput, fleetError, isUniqueViolation, unauthenticated } from "../../errors.js";
import type { Clock } from "../../services.js";
import { retryingConflicts } from "../../db/conflicts.js";

export interface AuthResult {
  token: string;
  user: User;
}

// Addresses are compared case-insensitively: two accounts for one mailbox help nobody.
export const EMAIL_MAX_LENGTH = 254;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** How long an instance trusts what it last read of an account's tokenVersion. */
const SESSION_RECHECK_MS = 1000;

export function createUsersService(prisma: PrismaClient, jwt: JwtSettings, keys: ApiKeyVerifier, clock: Clock) {
  const issue = (user: User): AuthResult => ({ token: signUserToken(jwt, { userId: user.id, version: user.tokenVersion }), user });
  // userId -> the tokenVersion read at checkedAt (null: no such account).
  const sessions = new Map<string, { version: number | null; checkedAt: number }>();
  const remember = (userId: string, version: number | null) => {
    if (sessions.size >= 100_000) sessions.clear();
    sessions.set(userId, { version, checkedAt: clock.now().getTime() });
  };

  async function userWithPassword(userId: string, password: string): Promise<User> {
    const user = await prisma.user.findUnique({ where: { id: userId } });
    if (!user) throw unauthenticated();
    if ([...password].length > PASSWORD_MAX_LENGTH || !(await verifyPassword(user.passwordHash, password))) {
      throw unauthenticated("Password is incorrect.");
    }
    return user;
  }

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
      if ([...password].length > PASSWORD_MAX_LENGTH) throw refused();
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

    /** True while the account exists and has not changed its password since the token was issued. */
    async isSessionCurrent(userId: string, version: number): Promise<boolean> {
      const known = sessions.get(userId);
      if (known && clock.now().getTime() - known.checkedAt < SESSION_RECHECK_MS) return known.version === version;
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { tokenVersion: true } });
      remember(userId, user?.tokenVersion ?? null);
      return user?.tokenVersion === version;
    },

    async changePassword(userId: string, current: string, next: string): Promise<AuthResult> {
      await userWithPassword(userId, current);
      checkPasswordRules(next);
      const user = await prisma.user.update({
        where: { id: userId },
        data: { passwordHash: await hashPassword(next), tokenVersion: { increment: 1 } },
      });
      remember(userId, user.tokenVersion);
      return issue(user);
    },

    async deleteAccount(userId: string, password: string): Promise<boolean> {
      await userWithPassword(userId, password);
      const devices = await prisma.device.findMany({ where: { ownerId: userId }, select: { id: true } });
      const at = clock.now();
      // Only a "deleted" event outlives each device, so other instances evict its keys too; the
      // cascade removes devices, keys, readings and batches with the account.
      await retryingConflicts(() =>
        prisma.$transaction([
          prisma.keyEvent.deleteMany({ where: { deviceId: { in: devices.map((device) => device.id) } } }),
          prisma.keyEvent.createMany({ data: devices.map((device) => ({ deviceId: device.id, kind: KEY_EVENT.deleted, at })) }),
          prisma.user.delete({ where: { id: userId } }),
        ]),
      );
      for (const device of devices) keys.keysChanged(device.id);
      remember(userId, null);
      return true;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
