import { Module } from '@nestjs/common';
import { SecretBox } from './secret-box';

/** Import where secrets are stored (Settings integrations): encryption at rest under ENCRYPTION_KEY. */
@Module({ providers: [SecretBox], exports: [SecretBox] })
export class CryptoModule {}
