import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { returnedRows } from '../../../database/pg-errors';
import { AuthCode } from './auth-code.entity';
import { AuthState } from './auth-state.entity';

export type NewAuthState = Pick<
  AuthState,
  'stateHash' | 'provider' | 'nonce' | 'codeVerifier' | 'callbackUrl' | 'redirectUrl' | 'bindingHash' | 'expiresAt'
>;
export type PendingSignIn = Pick<AuthState, 'provider' | 'nonce' | 'codeVerifier' | 'callbackUrl' | 'redirectUrl'>;

@Injectable()
export class SsoRepository {
  constructor(
    @InjectRepository(AuthState) private readonly states: Repository<AuthState>,
    @InjectRepository(AuthCode) private readonly codes: Repository<AuthCode>,
  ) {}

  async insertState(state: NewAuthState): Promise<void> {
    await this.states.insert(state);
  }

  /**
   * Takes a pending sign-in in one DELETE ... RETURNING: live, for this provider and this
   * browser's binding, once. Two callbacks racing with one state: one wins, the other gets null.
   */
  async consumeState(stateHash: string, provider: string, bindingHash: string): Promise<PendingSignIn | null> {
    const result: unknown = await this.states.query(
      `DELETE FROM auth_states WHERE state_hash = $1 AND provider = $2 AND binding_hash = $3 AND expires_at > now()
        RETURNING provider, nonce, code_verifier, callback_url, redirect_url`,
      [stateHash, provider, bindingHash],
    );
    const [row] = returnedRows<{ provider: string; nonce: string; code_verifier: string; callback_url: string; redirect_url: string | null }>(result);
    return row
      ? { provider: row.provider, nonce: row.nonce, codeVerifier: row.code_verifier, callbackUrl: row.callback_url, redirectUrl: row.redirect_url }
      : null;
  }

  async insertCode(code: Pick<AuthCode, 'codeHash' | 'userId' | 'bindingHash' | 'expiresAt'>): Promise<void> {
    await this.codes.insert(code);
  }

  /** Single use, in one DELETE ... RETURNING. Returns the user id, or null (unknown, used or expired). */
  async consumeCode(codeHash: string, bindingHash: string): Promise<string | null> {
    const result: unknown = await this.codes.query(
      `DELETE FROM auth_codes WHERE code_hash = $1 AND binding_hash = $2 AND expires_at > now() RETURNING user_id`,
      [codeHash, bindingHash],
    );
    const [row] = returnedRows<{ user_id: string }>(result);
    return row?.user_id ?? null;
  }

  /** Drops abandoned sign-ins and unredeemed codes (cheap: indexed on expires_at). */
  async deleteExpired(): Promise<void> {
    const now = new Date();
    await this.states.delete({ expiresAt: LessThan(now) });
    await this.codes.delete({ expiresAt: LessThan(now) });
  }
}
