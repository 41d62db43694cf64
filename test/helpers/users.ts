import { randomBytes } from 'node:crypto';
import type { TestApp } from './app';
import { UsersRepository } from '../../src/modules/users/users.repository';

export interface TestUser {
  id: string;
  email: string;
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  roles: string[];
}

let counter = 0;

/** Unique per call, so suites sharing the run's database never collide. */
export function uniqueUserInput(prefix = 'user') {
  const tag = `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;
  return { email: `${tag}@example.com`, username: tag, password: 'correct horse battery' };
}

/** Registers a user through the real API and returns its tokens. */
export async function createUser(app: TestApp, input: Partial<ReturnType<typeof uniqueUserInput>> = {}): Promise<TestUser> {
  const body = { ...uniqueUserInput(), ...input };
  const res = await app.http().post('/api/v1/auth/register').send(body);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  const data = res.body.data;
  return {
    id: data.user.id,
    email: data.user.email,
    username: data.user.username,
    password: body.password,
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    roles: data.user.roles,
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Grants the admin role the way `npm run admin:grant` does (roles never come from an email). */
export async function createAdmin(app: TestApp): Promise<TestUser> {
  const user = await createUser(app, uniqueUserInput('admin'));
  if (!(await app.app.get(UsersRepository).grantAdmin(user.email))) throw new Error('grant-admin failed');
  return { ...user, roles: ['user', 'admin'] };
}
