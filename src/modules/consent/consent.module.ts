import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsentRequest } from './consent-request.entity';
import { ConsentToken } from './consent-token.entity';
import { ConsentController } from './consent.controller';
import { ConsentRepository } from './consent.repository';
import { ConsentService } from './consent.service';

@Module({
  imports: [TypeOrmModule.forFeature([ConsentRequest, ConsentToken])],
  controllers: [ConsentController],
  providers: [ConsentRepository, ConsentService],
  exports: [ConsentRepository, ConsentService],
})
export class ConsentModule {}
