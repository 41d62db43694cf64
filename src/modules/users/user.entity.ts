import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Role } from '../../common/auth/role';

@Entity('users')
@Check('users_email_lowercase', 'email = lower(email)')
@Index('users_email_key', ['email'], { unique: true })
// Unique on lower(username): an expression index TypeORM cannot describe, so it is left to the migration.
@Index('users_username_key', { synchronize: false })
// One account per SSO identity: (tenant issuer, oid) for Azure AD, (issuer, sub) for other providers.
@Index('users_external_identity_key', ['externalIssuer', 'externalSubject'], {
  unique: true,
  where: 'external_subject IS NOT NULL',
})
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Trimmed and lower-cased before it is stored. */
  @Column({ length: 254 })
  email: string;

  @Column({ length: 64 })
  username: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  displayName: string | null;

  /** argon2id; null for accounts that only sign in through an identity provider. */
  @Column({ type: 'text', nullable: true, select: false })
  passwordHash: string | null;

  @Column({ type: 'text', array: true, default: '{user}' })
  roles: Role[];

  @Column({ length: 32, default: 'local' })
  authProvider: string;

  /** SSO accounts: the identity provider's issuer (for Azure AD, the tenant's v2.0 issuer). */
  @Column({ type: 'varchar', length: 512, nullable: true })
  externalIssuer: string | null;

  /** Azure AD tenant id (`tid`). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  externalTenantId: string | null;

  /** Azure AD object id (`oid`), or `sub` for other providers. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  externalSubject: string | null;

  @Column({ default: false })
  disabled: boolean;

  /** Local accounts: confirmed by the mailed link. SSO accounts: the IdP's verified flag at the last sign-in. */
  @Column({ default: false })
  emailVerified: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
