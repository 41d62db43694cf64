import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An SSO sign-in in progress (state, nonce, PKCE verifier), kept server-side so any instance can finish it. */
@Entity('auth_states')
@Index('auth_states_state_hash_key', ['stateHash'], { unique: true })
@Index('auth_states_expires_at_idx', ['expiresAt'])
export class AuthState {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** SHA-256 of the `state` parameter. */
  @Column({ type: 'char', length: 64 })
  stateHash: string;

  @Column({ length: 32 })
  provider: string;

  @Column({ length: 128 })
  nonce: string;

  @Column({ length: 128 })
  codeVerifier: string;

  /** The redirect_uri sent to the IdP (our GET callback); the token request must repeat it. */
  @Column({ type: 'text' })
  callbackUrl: string;

  /** Where the browser goes after sign-in (an origin of CORS_ORIGINS), if the app gave one. */
  @Column({ type: 'text', nullable: true })
  redirectUrl: string | null;

  /** SHA-256 of the binding cookie set at login: only the browser that started can finish. */
  @Column({ type: 'char', length: 64 })
  bindingHash: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
