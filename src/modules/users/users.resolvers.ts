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
    signUp(_parent, { email, password }, { services, clientAddress }) {
      enforce(services.limits.auth, clientAddress);
      return services.users.signUp(email, password);
    },
    logIn(_parent, { email, password }, { services, clientAddress }) {
      enforce(services.limits.auth, clientAddress);
      enforce(services.limits.account, normalizeEmail(email));
      return services.users.logIn(email, password);
    },
    // Both check a password, so both count against the account's attempts.
    changePassword(_parent, { current, new: next }, { services, userId }) {
      enforce(services.limits.account, userId!);
      return services.users.changePassword(userId!, current, next);
    },
    deleteAccount(_parent, { password }, { services, userId }) {
      enforce(services.limits.account, userId!);
      return services.users.deleteAccount(userId!, password);
    },
  },
  User: {
    devices: (user, { first, after }, { services }) => services.devices.list(user.id, first, after),
  },
};
