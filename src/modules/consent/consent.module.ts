import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsentRequest } from './consent-request.entity';
import { ConsentToken } from './consent-token.entity';
import { ConsentDecisionController } from './consent-decision.controller';
import { ConsentExpiryJob } from './consent-expiry.job';
import { ConsentController } from './consent.controller';
import { ConsentRepository } from './consent.repository';
import { ConsentService } from './consent.service';

@Module({
  imports: [TypeOrmModule.forFeature([ConsentRequest, ConsentToken])],
  controllers: [ConsentController, ConsentDecisionController],
  providers: [ConsentRepository, ConsentService, ConsentExpiryJob],
  exports: [ConsentService],
})
export class ConsentModule {}
