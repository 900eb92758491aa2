/**
 * A real Cognito emulator for the tests: cognito-local (npm), started as a child process in a temp folder on a free
 * loopback port, with a user pool, an app client, groups and users created through the Cognito API itself (AWS SDK
 * v3). Its tokens are Cognito-shaped (RS256, `token_use`, `client_id`/`aud`, `cognito:groups`) and its JWKS sits at
 * `{issuer}/.well-known/jwks.json`, as on AWS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';

const START = fileURLToPath(new URL('../../node_modules/cognito-local/lib/bin/start.js', import.meta.url));

export interface CognitoLocal {
  readonly endpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly issuer: string;
  addUser(username: string, password: string, groups: readonly string[]): Promise<void>;
  /** A user whose first login must set a new password (the NEW_PASSWORD_REQUIRED challenge). */
  addTemporaryUser(username: string, temporaryPassword: string): Promise<void>;
  /** Another app client of the pool, with a client secret. */
  addClientWithSecret(): Promise<{ clientId: string; clientSecret: string }>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cognito-local exited with ${child.exitCode}`);
    try {
      await fetch(`${endpoint}/health`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('cognito-local did not start within 20 s');
}

export async function startCognitoLocal(): Promise<CognitoLocal> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpd-cognito-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [START], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEBUG: '', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(endpoint, child);
    const client = new CognitoIdentityProviderClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const pool = await client.send(new CreateUserPoolCommand({ PoolName: 'mcpd-test' }));
    const userPoolId = pool.UserPool?.Id ?? '';
    const app = await client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: 'mcpd',
        ExplicitAuthFlows: ['USER_PASSWORD_AUTH'],
      }),
    );
    const clientId = app.UserPoolClient?.ClientId ?? '';
    const groups = new Set<string>();
    return {
      endpoint,
      userPoolId,
      clientId,
      issuer: `${endpoint}/${userPoolId}`,
      async addUser(username, password, userGroups) {
        await client.send(
          new AdminCreateUserCommand({
            UserPoolId: userPoolId,
            Username: username,
            MessageAction: 'SUPPRESS',
          }),
        );
        await client.send(
          new AdminSetUserPasswordCommand({
            UserPoolId: userPoolId,
            Username: username,
            Password: password,
            Permanent: true,
          }),
        );
        for (const g of userGroups) {
          if (!groups.has(g)) {
            await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: g }));
            groups.add(g);
          }
          await client.send(
            new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: g }),
          );
        }
      },
      async addTemporaryUser(username, temporaryPassword) {
        await client.send(
          new AdminCreateUserCommand({
            UserPoolId: userPoolId,
            Username: username,
            TemporaryPassword: temporaryPassword,
            MessageAction: 'SUPPRESS',
          }),
        );
      },
      async addClientWithSecret() {
        const made = await client.send(
          new CreateUserPoolClientCommand({
            UserPoolId: userPoolId,
            ClientName: 'mcpd-secret',
            GenerateSecret: true,
            ExplicitAuthFlows: ['USER_PASSWORD_AUTH'],
          }),
        );
        return {
          clientId: made.UserPoolClient?.ClientId ?? '',
          clientSecret: made.UserPoolClient?.ClientSecret ?? '',
        };
      },
      close: async () => {
        client.destroy();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
