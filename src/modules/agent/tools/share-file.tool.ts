import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { AppException } from '../../../common/errors/app.exception';
import { ConsentService } from '../../consent/consent.service';
import { FileSharesService } from '../../files/file-shares.service';
import { FilesService } from '../../files/files.service';
import type { AgentTool, ToolContext } from './agent-tool';
import { gatedTool } from './gated-tool';

const schema = z.object({ file_id: z.uuid(), single_use: z.boolean().optional() });

/**
 * Sensitive: makes a link anyone holding it can open without login, so it waits for consent,
 * and redeems the decision's single-use token for exactly this call before acting.
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
    return gatedTool(
      this.consents,
      {
        name: this.name,
        description: 'Creates an expiring download link for a file of this conversation, by its file id. Requires the user’s approval.',
        schema,
        refusal: 'Not shared: there is no unused approval for exactly this file.',
      },
      (args, context) => this.share(args, context),
    );
  }

  private async share(args: z.infer<typeof schema>, { userId, conversationId }: ToolContext): Promise<string> {
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
  }
}
