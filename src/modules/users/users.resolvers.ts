import type { Resolvers } from "../../generated/graphql.js";
import { unauthenticated } from "../../errors.js";
import { enforce } from "../../rateLimit.js";
import { normalizeEmail } from "./users.service.js";

export const usersResolvers: Resolvers = {
  Query: {
    async me(_parent, _args, { userId, services }) {
      const user = await services.users.byId(userId!);
      // A valid token for an account that no longer exists.
      if (!user) throw unauthenticated();
      return user;
    },
  },
  Mutation: {
    // Each field counts on its own, so aliasing many logIns into one request buys nothing.
    async signUp(_parent, { email, password }, { services, clientAddress }) {
      await enforce(services.limits.auth, clientAddress);
      return services.users.signUp(email, password);
    },
    async logIn(_parent, { email, password }, { services, clientAddress }) {
      await enforce(services.limits.auth, clientAddress);
      await enforce(services.limits.account, normalizeEmail(email));
      return services.users.logIn(email, password);
    },
    // Both check a password, so both count against the account's attempts.
    async changePassword(_parent, { current, new: next }, { services, userId }) {
      await enforce(services.limits.account, userId!);
      return services.users.changePassword(userId!, current, next);
    },
    async deleteAccount(_parent, { password }, { services, userId }) {
      await enforce(services.limits.account, userId!);
      return services.users.deleteAccount(userId!, password);
    },
  },
  User: {
    devices: (user, { first, after }, { services }) => services.devices.list(user.id, first, after),
  },
};
