import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_OFFSET = 1_000_000_000;

/** `?limit=&offset=` of every paginated list (limit at most 100). */
export class PaginationQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  // Postgres takes OFFSET as a bigint: 1e20 would pass @IsInt and fail in the database (500).
  @Max(MAX_OFFSET)
  offset: number = 0;
}
