export interface Pagination {
  total: number;
  limit: number;
  offset: number;
  has_more: boolean;
}

/** What a controller returns when the success envelope needs more than `data`. */
export class Envelope<T> {
  constructor(
    readonly data: T,
    readonly extra: { message?: string; pagination?: Pagination } = {},
  ) {}

  static paginated<T>(items: T[], total: number, limit: number, offset: number): Envelope<T[]> {
    return new Envelope(items, { pagination: { total, limit, offset, has_more: offset + items.length < total } });
  }

  static withMessage<T>(data: T, message: string): Envelope<T> {
    return new Envelope(data, { message });
  }
}

export interface SuccessBody<T> {
  status: true;
  data: T;
  message?: string;
  pagination?: Pagination;
}
