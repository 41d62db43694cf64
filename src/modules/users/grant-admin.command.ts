import { DataSource } from 'typeorm';
import { migrateWithLock } from '../../database/migrate';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';

/** `npm run admin:grant -- <email>`: the one way to make a local account admin without an admin. */
export async function grantAdminCommand(dataSource: DataSource, email: string): Promise<void> {
  await migrateWithLock(dataSource);
  const granted = await new UsersRepository(dataSource.getRepository(User)).grantAdmin(email);
  process.stdout.write(granted ? `${email} is now an admin.\n` : `No user with email ${email}: register first.\n`);
  if (!granted) process.exitCode = 1;
}
