import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth/public.decorator';
import { RawResponse } from '../../common/http/envelope.interceptor';
import { sendFile } from './file-response';
import { FileSharesService } from './file-shares.service';
import { FilesService } from './files.service';

@ApiTags('files')
@Controller('files/shared')
export class SharedFilesController {
  constructor(
    private readonly shares: FileSharesService,
    private readonly files: FilesService,
  ) {}

  /**
   * A file shared by the `share_file` tool after the owner's consent: no login; 404 once the
   * link expired, was used (single-use links) or the file was deleted.
   */
  @Get(':token')
  @Public()
  @RawResponse()
  @ApiProduces('application/octet-stream')
  @ApiHeader({ name: 'Range', required: false, description: 'A single byte range, e.g. bytes=0-1023' })
  @ApiOkResponse({ description: 'The file bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })
  async download(@Param('token') token: string, @Headers('range') range: string | undefined, @Res() res: Response): Promise<void> {
    const file = await this.shares.redeem(token);
    await sendFile(res, this.files, file, range);
  }
}
