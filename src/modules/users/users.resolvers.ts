import type { Resolvers } from "../../generated/graphql.js";
import { unauthenticated } from "../../errors.js";

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
    signUp: (_parent, { email, password }, { services }) => services.users.signUp(email, password),
    logIn: (_parent, { email, password }, { services }) => services.users.logIn(email, password),
  },
  User: {
    devices: (user, { first, after }, { services }) => services.devices.list(user.id, first, after),
  },
};
