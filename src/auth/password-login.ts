/**
 * `POST /auth/token` logins: each provider that can check a username and password (local users, a Cognito app
 * client with USER_PASSWORD_AUTH) is a PasswordLogin. They are tried in order; `undefined` means "not this user or
 * not this password" (the next one is tried); an AuthError means the provider itself failed.
 */
import { type LocalUsers, verifyLogin } from './local-users.js';
import { type IssuedToken, issueLocalToken } from './local.js';

export interface LoginAnswer extends IssuedToken {
  /** Cognito's id token, when the provider issues one. */
  readonly id_token?: string;
  readonly refresh_token?: string;
}

export interface PasswordLogin {
  readonly name: string;
  login(username: string, password: string): Promise<LoginAnswer | undefined>;
}

/** Local users (file, ADMIN_USERNAME, store): bcrypt check, then an HS256 token. */
export function localLogin(users: LocalUsers, secret: string, ttlSeconds: number): PasswordLogin {
  return {
    name: 'local',
    async login(username, password) {
      const user = await verifyLogin(users, username, password);
      return user ? issueLocalToken(user, { secret, ttlSeconds }) : undefined;
    },
  };
}
