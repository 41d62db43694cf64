import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { Envelope } from '../../common/http/envelope';
import { ApiEnvelope } from '../../common/openapi/api-docs.decorators';
import { SettingsDto, UpdateSettingsDto } from './dto/settings.dto';
import { SettingsService } from './settings.service';

@ApiTags('settings')
@ApiBearerAuth()
@Controller('settings')
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  /** The caller's preferences, effective API limits and integrations (secrets as `has_*` flags). */
  @Get()
  get(@CurrentUser() user: AuthUser): Promise<SettingsDto> {
    return this.settings.get(user.id);
  }

  /**
   * Deep-merges preferences and integrations into what is stored. Secrets are write-only (null
   * removes one); `api_limits` is set by admins only (PATCH /admin/users/:id).
   */
  @Put()
  @ApiEnvelope(SettingsDto, { message: true })
  async update(@CurrentUser() user: AuthUser, @Body() dto: UpdateSettingsDto): Promise<Envelope<SettingsDto>> {
    return Envelope.withMessage(await this.settings.update(user.id, dto), 'Settings updated successfully');
  }
}
