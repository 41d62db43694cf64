import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { StoredFile } from './file.entity';
import { FilesService } from './files.service';
import { PdfTextService } from './pdf/pdf-text.service';
import { INLINE_IMAGES, TEXT_TYPES } from './upload/content-type';

/** Text of one attached file given to the model, at most (a bounded prompt, whatever the file). */
export const ATTACHMENT_TEXT_BYTES = 20_000;
export const MAX_ATTACHMENTS = 10;

/** LangChain v1 standard content blocks: the provider packages translate them (image_url for OpenAI). */
export type AttachmentBlock = { type: 'text'; text: string } | { type: 'image'; mimeType: string; data: string };

/**
 * Turns `attachments: [file_id]` into content blocks for the user's message: images as image
 * blocks, text-like files as bounded text. Only the user's own files of this conversation.
 */
@Injectable()
export class AttachmentsService {
  constructor(
    private readonly files: FilesService,
    private readonly pdf: PdfTextService,
  ) {}

  async blocksFor(fileIds: string[], conversationId: string | null, userId: string): Promise<AttachmentBlock[]> {
    if (!fileIds.length) return [];
    if (!conversationId) throw AppException.notFound('File');
    const files = await this.files.getMany(fileIds, conversationId, userId);
    const blocks: AttachmentBlock[] = [];
    for (const file of files) blocks.push(...(await this.blocksOf(file)));
    return blocks;
  }

  private async blocksOf(file: StoredFile): Promise<AttachmentBlock[]> {
    const label = `Attached file "${file.filename}" (${file.contentType}, ${file.size} bytes)`;
    if (INLINE_IMAGES.has(file.contentType)) {
      const bytes = await this.files.readBytes(file);
      return [{ type: 'text', text: `${label}:` }, { type: 'image', mimeType: file.contentType, data: bytes.toString('base64') }];
    }
    if (TEXT_TYPES.has(file.contentType)) {
      const { text, truncated } = await this.files.readText(file, ATTACHMENT_TEXT_BYTES);
      return [{ type: 'text', text: `${label}${truncated ? `, first ${ATTACHMENT_TEXT_BYTES} bytes` : ''}:\n<<<\n${text}\n>>>` }];
    }
    if (file.contentType === 'application/pdf') {
      const extracted = await this.pdf.extract(await this.files.readBytes(file), ATTACHMENT_TEXT_BYTES);
      if (extracted.ok) return [{ type: 'text', text: `${label}, text extracted${extracted.truncated ? ' (truncated)' : ''}:\n<<<\n${extracted.text}\n>>>` }];
      return [{ type: 'text', text: `${label}: its text could not be extracted (${extracted.reason}).` }];
    }
    return [{ type: 'text', text: `${label}: its content cannot be read as text here.` }];
  }
}
