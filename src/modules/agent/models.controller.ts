import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { Envelope } from '../../common/http/envelope';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { CompletionService } from './completion.service';
import { CompletionRequestDto, CompletionResponseDto, ListModelsQueryDto, ModelDto } from './dto/models.dto';
import { DEMO_PROVIDER } from './models/demo-chat-model';
import { ModelRegistry } from './models/model-registry';

@ApiTags('models')
@ApiBearerAuth()
@Controller()
export class ModelsController {
  constructor(
    private readonly models: ModelRegistry,
    private readonly completions: CompletionService,
  ) {}

  /** The models a caller may choose: configured providers' models, and the demo model where it is offered. */
  @Get('models')
  @ApiEnvelope([ModelDto], { paginated: true })
  list(@Query() query: ListModelsQueryDto): Envelope<ModelDto[]> {
    const all = this.models.availableModels().map((id) => {
      const [provider, ...rest] = id.split(':');
      return { id, provider, name: rest.join(':'), is_default: id === this.models.defaultModel, is_demo: provider === DEMO_PROVIDER, vision: this.models.acceptsImages(id) };
    });
    return Envelope.paginated(all.slice(query.offset, query.offset + query.limit), all.length, query.limit, query.offset);
  }

  /** A plain completion from any configured provider (`provider:model`), without the agent or its tools. */
  @Post('aisuite/chat')
  @HttpCode(200)
  @ApiErrors(ErrorCode.QuotaExceeded, ErrorCode.ServiceUnavailable)
  complete(@CurrentUser() user: AuthUser, @Body() body: CompletionRequestDto): Promise<CompletionResponseDto> {
    return this.completions.complete(user.id, body);
  }
}
