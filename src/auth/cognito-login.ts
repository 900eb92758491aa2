/**
 * `POST /auth/token` against a Cognito user pool: InitiateAuth with USER_PASSWORD_AUTH on the configured app
 * client (with SECRET_HASH when the client has a secret). The answer carries Cognito's own tokens, which the
 * cognito verifier then accepts like any other. Wrong usernames and passwords look the same to the caller; a
 * challenge (e.g. NEW_PASSWORD_REQUIRED) is refused with its name, since this endpoint cannot complete it; an
 * unreachable or failing Cognito is MCPD_AUTH_UNAVAILABLE (503), never a 500.
 */
import { createHmac } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthError } from './errors.js';
import type { LoginAnswer, PasswordLogin } from './password-login.js';

export interface CognitoLoginOptions {
  readonly clientId: string;
  readonly clientSecret?: string;
  /** AWS region of the pool (from the pool id when absent). */
  readonly region: string;
  /** A Cognito-compatible API instead of AWS's (COGNITO_ENDPOINT). */
  readonly endpoint?: string;
  /** Which token to hand out as `access_token`: `id` when only id tokens are accepted. Default `access`. */
  readonly accessTokenUse?: 'access' | 'id';
  readonly timeoutMs?: number;
}

/** Errors that mean "these credentials do not log in" (Cognito and its emulators differ in which they use). */
const REFUSED = new Set([
  'NotAuthorizedException',
  'UserNotFoundException',
  'InvalidPasswordException',
  'PasswordResetRequiredException',
  'UserNotConfirmedException',
]);

export class CognitoLogin implements PasswordLogin {
  readonly name = 'cognito';
  readonly #client: CognitoIdentityProviderClient;

  constructor(private readonly options: CognitoLoginOptions) {
    this.#client = new CognitoIdentityProviderClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      // InitiateAuth is unsigned; no AWS credentials are needed or looked up.
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
      maxAttempts: 2,
    });
  }

  async login(username: string, password: string): Promise<LoginAnswer | undefined> {
    const { clientId, clientSecret } = this.options;
    const params: Record<string, string> = { USERNAME: username, PASSWORD: password };
    if (clientSecret !== undefined) {
      params['SECRET_HASH'] = createHmac('sha256', clientSecret)
        .update(username + clientId)
        .digest('base64');
    }
    let result;
    try {
      result = await this.#client.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: clientId,
          AuthParameters: params,
        }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) },
      );
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (REFUSED.has(name)) return undefined;
      if (name === 'TooManyRequestsException') {
        throw new AuthError('MCPD_AUTH_RATE_LIMITED', 'Too many login attempts; try again later', {
          cause: error,
          retryAfterSeconds: 30,
        });
      }
      throw new AuthError('MCPD_AUTH_UNAVAILABLE', 'The identity provider could not be reached', {
        cause: error,
      });
    }
    if (result.ChallengeName) {
      throw new AuthError(
        'MCPD_AUTH_BAD_CREDENTIALS',
        `The identity provider requires ${result.ChallengeName}; complete it with Cognito first`,
      );
    }
    const auth = result.AuthenticationResult;
    const token = this.options.accessTokenUse === 'id' ? auth?.IdToken : auth?.AccessToken;
    if (!token) throw new AuthError('MCPD_AUTH_UNAVAILABLE', 'The identity provider returned no token');
    return {
      access_token: token,
      token_type: 'bearer',
      expires_in: auth?.ExpiresIn ?? 3600,
      ...(auth?.IdToken ? { id_token: auth.IdToken } : {}),
      ...(auth?.RefreshToken ? { refresh_token: auth.RefreshToken } : {}),
    };
  }

  close(): void {
    this.#client.destroy();
  }
}
