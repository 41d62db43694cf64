import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Role } from '../../common/auth/role';
import { preparedQuery } from '../../database/prepared-query';
import { User } from './user.entity';

export interface NewUser {
  email: string;
  username: string;
  displayName: string | null;
  passwordHash: string | null;
  roles: Role[];
  authProvider: string;
  externalIssuer?: string | null;
  externalTenantId?: string | null;
  externalSubject?: string | null;
  emailVerified?: boolean;
}

@Injectable()
export class UsersRepository {
  private activeForSessionSql?: string;

  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async create(user: NewUser): Promise<User> {
    return this.users.save(this.users.create({ ...user, disabled: false }));
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The account of an SSO identity (never looked up by email: that would be an account takeover). */
  findByExternalIdentity(issuer: string, subject: string): Promise<User | null> {
    return this.users.findOneBy({ externalIssuer: issuer, externalSubject: subject });
  }

  /** By email or username, case-insensitively, with the password hash (not selected by default). */
  findForLogin(identifier: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = lower(:identifier) OR lower(user.username) = lower(:identifier)', { identifier })
      .getOne();
  }

  /**
   * The user behind an access token, if the account is enabled and the sign-in (refresh family)
   * is neither revoked nor past its end. One indexed query per authenticated request, so it is
   * plain SQL built once (from the entity's columns) rather than a query builder per call, and a
   * prepared statement: planning it cost PostgreSQL twice what running it did.
   */
  async findActiveForSession(userId: string, familyId: string): Promise<User | null> {
    this.activeForSessionSql ??= `SELECT ${this.selectList('u')} FROM users u
      WHERE u.id = $1 AND u.disabled = false
        AND EXISTS (SELECT 1 FROM refresh_families f WHERE f.id = $2 AND f.user_id = u.id AND f.revoked_at IS NULL
          AND (f.expires_at IS NULL OR f.expires_at > now()))`;
    const rows = await preparedQuery<Partial<User>>(this.users.manager.connection, 'users_active_for_session', this.activeForSessionSql, [userId, familyId]);
    return rows.length ? Object.assign(new User(), rows[0]) : null;
  }

  /** Every column a default find selects (not the password hash), under its property name. */
  private selectList(alias: string): string {
    return this.users.metadata.columns
      .filter((column) => column.isSelect)
      .map((column) => `${alias}."${column.databaseName}" AS "${column.propertyName}"`)
      .join(', ');
  }

  async list(query: { search?: string; limit: number; offset: number }): Promise<[User[], number]> {
    const builder = this.users.createQueryBuilder('user').orderBy('user.createdAt', 'DESC').addOrderBy('user.id');
    if (query.search) {
      builder.where('(user.email ILIKE :pattern OR user.username ILIKE :pattern OR user.displayName ILIKE :pattern)', {
        pattern: `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    }
    return builder.take(query.limit).skip(query.offset).getManyAndCount();
  }

  async update(
    id: string,
    patch: Partial<Pick<User, 'roles' | 'disabled' | 'displayName' | 'email' | 'externalTenantId' | 'emailVerified'>>,
  ): Promise<User | null> {
    await this.users.update({ id }, patch);
    return this.findById(id);
  }

  /** A local account by email, with its password hash (SSO accounts have none). */
  findLocalByEmail(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = lower(:email) AND user.authProvider = :local', { email, local: 'local' })
      .getOne();
  }

  /** Adds the admin role (idempotent). Returns false when no user has that email. */
  async grantAdmin(email: string): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update(User)
      .set({ roles: () => `array_append(array_remove(roles, 'admin'), 'admin')` })
      .where('email = lower(:email)', { email })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
