/**
 * An error a user can act on: a stable code, a message, an HTTP status.
 * Each context throws these; one global filter turns them into problem+json.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) => new DomainError(`${what}.not_found`, `${what} "${id}" was not found`, 404);
export const badRequest = (code: string, message: string, details?: Record<string, unknown>) => new DomainError(code, message, 400, details);
