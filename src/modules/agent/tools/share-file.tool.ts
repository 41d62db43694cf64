import { Injectable, Logger } from '@nestjs/common';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { AppException } from '../../../common/errors/app.exception';
import { ConsentService } from '../../consent/consent.service';
import { FileSharesService } from '../../files/file-shares.service';
import { FilesService } from '../../files/files.service';
import { type AgentTool, toolContext } from './agent-tool';

/**
 * Sensitive: makes a link anyone holding it can open without login, so it waits for consent,
 * and spends the single-use consent token bound to exactly these arguments before acting.
 */
@Injectable()
export class ShareFileTool implements AgentTool {
  readonly name = 'share_file';
  readonly sensitive = true;
  readonly consentDescription = 'Create a link that lets anyone with it download this file, without signing in';
  private readonly logger = new Logger(ShareFileTool.name);

  constructor(
    private readonly files: FilesService,
    private readonly shares: FileSharesService,
    private readonly consents: ConsentService,
  ) {}

  build() {
    return tool(
      async (args, config) => {
        const { userId, conversationId } = toolContext(config);
        const allowed = await this.consents.consumeApproval(conversationId, userId, this.name, args);
        if (!allowed) return 'Not shared: there is no unused approval for exactly this file.';
        let file;
        try {
          file = await this.files.get(args.file_id, conversationId, userId);
        } catch (error) {
          if (error instanceof AppException) return 'Not shared: no file with that id in this conversation.';
          throw error;
        }
        const link = await this.shares.create(file, { singleUse: args.single_use ?? false });
        this.logger.log({ user_id: userId, conversation_id: conversationId, file_id: file.id }, 'File shared');
        return `Shared "${file.filename}": ${link.url} (${args.single_use ? 'one download, ' : ''}expires ${link.expiresAt.toISOString()})`;
      },
      {
        name: this.name,
        description: 'Creates an expiring download link for a file of this conversation, by its file id. Requires the user’s approval.',
        schema: z.object({ file_id: z.uuid(), single_use: z.boolean().optional() }),
      },
    );
  }
}
