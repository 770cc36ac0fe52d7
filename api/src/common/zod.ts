import { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from './errors';
import { formatPath } from '../config/load';

/** Validates query/body/params with a zod schema; problems are a 400 naming each field. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.output<T> {
    const r = this.schema.safeParse(value ?? {});
    if (r.success) return r.data;
    const problems = r.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message }));
    throw new DomainError('validation.failed', problems.map((p) => `${p.field || 'input'}: ${p.message}`).join('; '), 400, { problems });
  }
}

/** Shared query primitives with limits, so every endpoint bounds its input. */
export const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time with a zone, e.g. 2026-11-27T10:00:00Z' });
export const pageLimit = z.coerce.number().int().min(1).max(1000).default(100);
export const cursor = z.string().max(512).optional();
export const shortText = z.string().max(256);
