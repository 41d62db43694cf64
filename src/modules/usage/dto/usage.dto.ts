import { IsDateString, IsIn, IsOptional, IsUUID, Matches } from 'class-validator';

export const USER_GROUPINGS = ['day', 'model', 'route'] as const;
export const ADMIN_GROUPINGS = [...USER_GROUPINGS, 'user'] as const;
export type UsageGrouping = (typeof ADMIN_GROUPINGS)[number];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

class UsageRangeQueryDto {
  /** First UTC day, `YYYY-MM-DD` (inclusive); default: 29 days before `to`. */
  @IsOptional()
  @Matches(DAY, { message: 'from must be a date as YYYY-MM-DD' })
  @IsDateString({ strict: true })
  from?: string;

  /** Last UTC day, `YYYY-MM-DD` (inclusive); default: today. At most 366 days after `from`. */
  @IsOptional()
  @Matches(DAY, { message: 'to must be a date as YYYY-MM-DD' })
  @IsDateString({ strict: true })
  to?: string;
}

export class UsageQueryDto extends UsageRangeQueryDto {
  /** `day`: tokens and calls per day; `model`: tokens per model; `route`: calls per route. */
  @IsOptional()
  @IsIn(USER_GROUPINGS)
  group_by: 'day' | 'model' | 'route' = 'day';
}

export class AdminUsageQueryDto extends UsageRangeQueryDto {
  /** As for GET /usage, plus `user`: the 100 users with the most tokens (then calls). */
  @IsOptional()
  @IsIn(ADMIN_GROUPINGS)
  group_by: UsageGrouping = 'day';

  /** Only this user's usage. */
  @IsOptional()
  @IsUUID()
  user_id?: string;
}

export class UsageTotalsDto {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  api_calls: number;
}

/** One group; which fields are present depends on `group_by`. */
export class UsageItemDto {
  /** group_by=day: the UTC day. */
  day?: string;
  /** group_by=model: `provider:model` (`unknown` when it was not recorded). */
  model?: string;
  /** group_by=route: HTTP method. */
  method?: string;
  /** group_by=route: the route template, e.g. `/chat/conversations/:id`. */
  route?: string;
  /** group_by=user (admin). */
  user_id?: string;
  /** group_by=user (admin). */
  email?: string;
  /** Absent for group_by=route (tokens are not counted per route). */
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  /** Absent for group_by=model (calls are not counted per model). */
  api_calls?: number;
}

export class UsageReportDto {
  from: string;
  to: string;
  /** `day`, `model`, `route` (or `user` for admins). */
  group_by: string;
  totals: UsageTotalsDto;
  items: UsageItemDto[];
}
