/**
 * Expected failures: a stable code and an HTTP status, mapped once in the HTTP error handler to
 * `{ error: { code, message, details? } }`. Platform keeps the codes every domain may use; each
 * domain declares its own catalogue with {@link errorClass} in its `errors.ts` and exports it
 * from its `index.ts`, so adding a code never means editing platform.
 */

/** Codes any module may raise: request shape, authentication, the generic not-found and conflict, readiness. */
export const COMMON_ERRORS = {
  VALIDATION_FAILED: 400,
  REQUEST_TOO_LARGE: 400,
  MALFORMED_JSON: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_READY: 503,
  /** The database is restarting, frozen, unreachable or out of connections: retry after the Retry-After seconds. */
  DATABASE_UNAVAILABLE: 503,
} as const;

/** A catalogue of codes and their HTTP statuses. */
export type ErrorCatalogue = Readonly<Record<string, number>>;

/** A code of the common catalogue. */
export type CommonErrorCode = keyof typeof COMMON_ERRORS;

/** An expected failure with a stable code; `AppError` itself carries a common code, domain classes their own. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(code: CommonErrorCode, message: string, details?: unknown);
  constructor(code: string, message: string, details: unknown, status: number);
  constructor(
    code: string,
    message: string,
    readonly details?: unknown,
    status?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    const known = status ?? (COMMON_ERRORS as ErrorCatalogue)[code];
    if (known === undefined) throw new Error(`AppError: "${code}" is not a common error code; raise it through its domain's error class`);
    this.status = known;
  }
}

/** The error class of a domain: `new SegmentError('SEGMENT_NOT_FOUND', ...)`, typed to its catalogue and the common codes. */
export interface DomainErrorClass<C extends ErrorCatalogue> {
  new (code: (keyof C & string) | CommonErrorCode, message: string, details?: unknown): AppError & { readonly code: (keyof C & string) | CommonErrorCode };
  /** The domain's own codes (without the common ones). */
  readonly catalogue: C;
  readonly domain: string;
}

/** Declares a domain's error catalogue and returns its error class. */
export function errorClass<const C extends ErrorCatalogue>(domain: string, catalogue: C): DomainErrorClass<C> {
  const all: ErrorCatalogue = { ...COMMON_ERRORS, ...catalogue };
  const cls = class extends AppError {
    static readonly catalogue = catalogue;
    static readonly domain = domain;
    constructor(code: string, message: string, details?: unknown) {
      const status = all[code];
      if (status === undefined) throw new Error(`${domain} error class: unknown code "${code}"`);
      super(code, message, details, status);
    }
  };
  return cls as unknown as DomainErrorClass<C>;
}

/**
 * Joins catalogues (the composition root's list of every domain's), refusing a code declared twice
 * with different statuses or by two domains: one code, one meaning, one owner.
 */
export function mergeCatalogues(
  classes: readonly Pick<DomainErrorClass<ErrorCatalogue>, 'catalogue' | 'domain'>[],
): Record<string, { status: number; domain: string }> {
  const out: Record<string, { status: number; domain: string }> = {};
  for (const [code, status] of Object.entries(COMMON_ERRORS)) out[code] = { status, domain: 'platform' };
  for (const c of classes) {
    for (const [code, status] of Object.entries(c.catalogue)) {
      const seen = out[code];
      if (seen) throw new Error(`error code ${code} is declared by ${seen.domain} and by ${c.domain}`);
      out[code] = { status, domain: c.domain };
    }
  }
  return out;
}
