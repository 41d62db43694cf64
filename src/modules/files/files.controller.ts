import { Controller, Delete, Get, Headers, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { Envelope } from '../../common/http/envelope';
import { RawResponse } from '../../common/http/envelope.interceptor';
import { PaginationQueryDto } from '../../common/http/pagination.dto';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { FileDto, mapFile } from './dto/files.dto';
import { sendFile } from './file-response';
import { FilesService } from './files.service';
import type { UploadedPart } from './upload/storage-engine';
import { UploadInterceptor } from './upload/upload.interceptor';

@ApiTags('files')
@ApiBearerAuth()
@Controller('chat/conversations/:id/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  /**
   * Uploads one or more files (multipart field `files`) to the conversation. The type is sniffed
   * from the bytes; limits: UPLOAD_MAX_BYTES per request, UPLOAD_MAX_BYTES_PER_HOUR per user.
   */
  @Post()
  @UseInterceptors(UploadInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['files'], properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } } } } })
  @ApiEnvelope([FileDto])
  @ApiErrors(ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType, ErrorCode.QuotaExceeded, ErrorCode.BadRequest)
  async upload(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Conversation')) id: string,
    @Req() req: Request,
  ): Promise<FileDto[]> {
    const parts = (req.files ?? []) as unknown as UploadedPart[];
    return (await this.files.commit(id, user.id, parts)).map(mapFile);
  }

  /** The conversation's files, oldest first. */
  @Get()
  @ApiEnvelope([FileDto], { paginated: true })
  async list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Conversation')) id: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Envelope<FileDto[]>> {
    const [rows, total] = await this.files.list(id, user.id, query);
    return Envelope.paginated(rows.map(mapFile), total, query.limit, query.offset);
  }

  /**
   * Downloads a file: its sniffed type, `nosniff`, and `Content-Disposition: attachment` except
   * for raster images. A single `Range` is honoured (206).
   */
  @Get(':file_id')
  @RawResponse()
  @ApiProduces('application/octet-stream')
  @ApiHeader({ name: 'Range', required: false, description: 'A single byte range, e.g. bytes=0-1023' })
  @ApiOkResponse({ description: 'The file bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })
  async download(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Conversation')) id: string,
    @Param('file_id', ParseIdPipe('File')) fileId: string,
    @Headers('range') range: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const file = await this.files.get(fileId, id, user.id);
    await sendFile(res, this.files, file, range);
  }

  /** Deletes a file and its stored bytes; deleting it again is not an error. */
  @Delete(':file_id')
  @ApiEnvelope(null, { message: true })
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Conversation')) id: string,
    @Param('file_id', ParseIdPipe('File')) fileId: string,
  ): Promise<Envelope<null>> {
    await this.files.delete(fileId, id, user.id);
    return Envelope.withMessage(null, 'File deleted');
  }
}
