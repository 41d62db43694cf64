import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { AppException } from '../errors/app.exception';
import { PaginationQueryDto } from './pagination.dto';
import { createValidationPipe } from './validation';

describe(createValidationPipe.name, () => {
  const query: ArgumentMetadata = { type: 'query', metatype: PaginationQueryDto };
  const body: ArgumentMetadata = { type: 'body', metatype: PaginationQueryDto };
  /** A parsed query string as Express hands it over (no prototype). */
  const parsed = (fields: Record<string, string>) => Object.assign(Object.create(null) as object, fields);
  let validations: jest.SpyInstance;

  beforeEach(() => {
    validations = jest.spyOn(ValidationPipe.prototype as unknown as { validate: () => unknown }, 'validate');
  });
  afterEach(() => validations.mockRestore());

  it('validates a query string once per DTO class, and hands out copies of the answer', async () => {
    const pipe = createValidationPipe();
    const first = (await pipe.transform(parsed({}), query)) as PaginationQueryDto;
    const second = (await pipe.transform(parsed({}), query)) as PaginationQueryDto;
    expect(second).toBeInstanceOf(PaginationQueryDto);
    expect(second).toEqual({ limit: 20, offset: 0 });
    expect(second).not.toBe(first);
    first.limit = 99;
    second.offset = 99;
    expect(await pipe.transform(parsed({}), query)).toEqual({ limit: 20, offset: 0 });
    expect(await pipe.transform(parsed({ limit: '5', offset: '10' }), query)).toEqual({ limit: 5, offset: 10 });
    expect(validations).toHaveBeenCalledTimes(2);
  });

  it('checks an invalid query string every time', async () => {
    const pipe = createValidationPipe();
    for (let i = 0; i < 2; i += 1) {
      await expect(pipe.transform(parsed({ limit: '1000' }), query)).rejects.toBeInstanceOf(AppException);
      await expect(pipe.transform(parsed({ limit: '5', extra: 'x' }), query)).rejects.toBeInstanceOf(AppException);
    }
    expect(validations).toHaveBeenCalledTimes(4);
  });

  it('validates bodies and repeated query keys every time', async () => {
    const pipe = createValidationPipe();
    for (let i = 0; i < 2; i += 1) {
      expect(await pipe.transform({ limit: 5 }, body)).toEqual({ limit: 5, offset: 0 });
      await expect(pipe.transform(Object.assign(Object.create(null) as object, { limit: ['5', '6'] }), query)).rejects.toBeInstanceOf(AppException);
    }
    expect(validations).toHaveBeenCalledTimes(4);
  });
});
