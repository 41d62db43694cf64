import { PaginationQueryDto } from '../../../common/http/pagination.dto';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsNumber, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';

export class ListModelsQueryDto extends PaginationQueryDto {
  override limit: number = 50;
}

export class ModelDto {
  /** `provider:model`, as accepted by `model` fields. */
  id: string;
  provider: string;
  name: string;
  is_default: boolean;
  is_demo: boolean;
  /** Whether image attachments may be sent to it. */
  vision: boolean;
}

export class CompletionMessageDto {
  @IsIn(['system', 'user', 'assistant'])
  role: 'system' | 'user' | 'assistant';

  @IsString()
  @MaxLength(100_000)
  content: string;
}

/** Plain multi-provider completion: no tools, no conversation, nothing stored. */
export class CompletionRequestDto {
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CompletionMessageDto)
  messages: CompletionMessageDto[];

  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;
}

export class CompletionResponseDto {
  model: string;
  content: string;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number } | null;
}
