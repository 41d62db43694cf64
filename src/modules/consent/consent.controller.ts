import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { Envelope } from '../../common/http/envelope';
import { ApiEnvelope } from '../../common/openapi/api-docs.decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { ConsentService } from './consent.service';
import { ConsentRequestDto, ListConsentsQueryDto, mapConsentRequest } from './dto/consent.dto';

/** The audit trail: pending requests and past decisions (who, when, reason). Decide at POST /chat/consent. */
@ApiTags('consent')
@ApiBearerAuth()
@Controller('consents')
export class ConsentController {
  constructor(private readonly consents: ConsentService) {}

  /** The user's consent requests, newest first; `status` filters. */
  @Get()
  @ApiEnvelope([ConsentRequestDto], { paginated: true })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListConsentsQueryDto): Promise<Envelope<ConsentRequestDto[]>> {
    const [requests, total] = await this.consents.list(user.id, query);
    return Envelope.paginated(requests.map(mapConsentRequest), total, query.limit, query.offset);
  }

  /** One consent request with its actions and decision. */
  @Get(':id')
  async get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Consent request')) id: string): Promise<ConsentRequestDto> {
    return mapConsentRequest(await this.consents.get(id, user.id));
  }
}
