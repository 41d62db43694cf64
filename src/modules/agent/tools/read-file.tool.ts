import { Injectable } from '@nestjs/common';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { AppException } from '../../../common/errors/app.exception';
import { ATTACHMENT_TEXT_BYTES } from '../../files/attachments.service';
import { FilesService } from '../../files/files.service';
import { PdfTextService } from '../../files/pdf/pdf-text.service';
import { TEXT_TYPES } from '../../files/upload/content-type';
import { type AgentTool, toolContext } from './agent-tool';

/** Safe: the bounded text of one of the user's files in this conversation. */
@Injectable()
export class ReadFileTool implements AgentTool {
  readonly name = 'read_file';
  readonly sensitive = false;

  constructor(
    private readonly files: FilesService,
    private readonly pdf: PdfTextService,
  ) {}

  build() {
    return tool(
      async ({ file_id }, config) => {
        const { userId, conversationId } = toolContext(config);
        let file;
        try {
          file = await this.files.get(file_id, conversationId, userId);
        } catch (error) {
          if (error instanceof AppException) return 'No file with that id in this conversation.';
          throw error;
        }
        let read;
        if (file.contentType === 'application/pdf') {
          const extracted = await this.pdf.extract(await this.files.readBytes(file), ATTACHMENT_TEXT_BYTES);
          if (!extracted.ok) return `The text of "${file.filename}" could not be extracted (${extracted.reason}).`;
          read = extracted;
        } else if (TEXT_TYPES.has(file.contentType)) read = await this.files.readText(file, ATTACHMENT_TEXT_BYTES);
        if (!read) return `"${file.filename}" is ${file.contentType}; only text files and PDFs can be read.`;
        const { text, truncated } = read;
        return `${file.filename}${truncated ? ` (first ${ATTACHMENT_TEXT_BYTES} bytes)` : ''}:\n${text}`;
      },
      {
        name: this.name,
        description: 'Reads the text of a file uploaded to this conversation (text, Markdown, CSV, JSON, PDF), by its file id.',
        schema: z.object({ file_id: z.uuid() }),
      },
    );
  }
}
