import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConsentModule } from '../consent/consent.module';
import { FilesModule } from '../files/files.module';
import { UserLimitsModule } from '../user-settings/user-limits.module';
import { AgentService } from './agent.service';
import { checkpointerProvider } from './checkpointer.provider';
import { CompletionService } from './completion.service';
import { LlmHealthIndicator } from './llm.health';
import { ModelsController } from './models.controller';
import { ModelRegistry } from './models/model-registry';
import { AGENT_TOOLS, AgentTool } from './tools/agent-tool';
import { CalculatorTool } from './tools/calculator/calculator.tool';
import { CurrentTimeTool } from './tools/current-time.tool';
import { SearchConversationsTool } from './tools/search-conversations.tool';
import { ReadFileTool } from './tools/read-file.tool';
import { ShareFileTool } from './tools/share-file.tool';
import { SubmitDocumentTool } from './tools/submit-document.tool';
import { ToolArgumentsValidator } from './tools/tool-arguments.validator';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';
import { ConversationSearchRepository } from './tools/conversation-search.repository';

const TOOLS = [CurrentTimeTool, CalculatorTool, SearchConversationsTool, SubmitDocumentTool, ReadFileTool, ShareFileTool];

@Module({
  imports: [ConsentModule, TerminusModule, UserLimitsModule, FilesModule],
  controllers: [ModelsController],
  providers: [
    ModelRegistry,
    checkpointerProvider,
    AgentService,
    CompletionService,
    UsageService,
    UsageRepository,
    ConversationSearchRepository,
    LlmHealthIndicator,
    ToolArgumentsValidator,
    ...TOOLS,
    { provide: AGENT_TOOLS, inject: TOOLS, useFactory: (...tools: AgentTool[]) => tools },
  ],
  exports: [AgentService, ModelRegistry, UsageService],
})
export class AgentModule {}
