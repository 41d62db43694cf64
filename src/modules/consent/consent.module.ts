import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CryptoModule } from '../../common/crypto/crypto.module';
import { ConsentRequest } from './consent-request.entity';
import { ConsentToken } from './consent-token.entity';
import { ConsentDecisionController } from './consent-decision.controller';
import { ConsentExpiryJob } from './consent-expiry.job';
import { ConsentController } from './consent.controller';
import { ConsentRepository } from './consent.repository';
import { ConsentService } from './consent.service';

@Module({
  // CryptoModule: consent tokens are kept sealed for the instance that resumes.
  imports: [TypeOrmModule.forFeature([ConsentRequest, ConsentToken]), CryptoModule],
  controllers: [ConsentController, ConsentDecisionController],
  providers: [ConsentRepository, ConsentService, ConsentExpiryJob],
  exports: [ConsentService],
})
export class ConsentModule {}
