/**
 * The one catalogue of API errors. Texts and statuses are Toxiproxy 2.12.0's (api.go), except `invalidAttributes`
 * and `bodyTooLarge`, which are ours: inputs that crash or wedge the real server (slicer average_size 0, negative
 * bandwidth rate, ...) are refused with a 400, and a body over the limit with a 413, in the same `{"error","status"}`
 * body; `headersTimeout` (408) is ours too. `readTimeout` is what Go's server says when its read deadline passes while
 * the body is still arriving.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const Errors = {
  badRequestBody: (detail: string) => new ApiError(`bad request body: ${detail}`, 400),
  missingField: (field: string) => new ApiError(`missing required field: ${field}`, 400),
  proxyNotFound: () => new ApiError('proxy not found', 404),
  proxyAlreadyExists: () => new ApiError('proxy already exists', 409),
  invalidStream: () => new ApiError('stream was invalid, can be either upstream or downstream', 400),
  invalidToxicType: () => new ApiError('invalid toxic type', 400),
  toxicAlreadyExists: () => new ApiError('toxic already exists', 409),
  toxicNotFound: () => new ApiError('toxic not found', 404),
  /** Ours: attribute values the real server would crash or hang on. */
  invalidAttributes: (detail: string) => new ApiError(`invalid toxic attributes: ${detail}`, 400),
  /** Ours: the body is over the API's limit (Go's http.MaxBytesReader wording). */
  bodyTooLarge: () => new ApiError('bad request body: http: request body too large', 413),
  /** Ours: the request deadline passed before the headers were in (Go closes the connection without a word). */
  headersTimeout: (ms: number) => new ApiError(`request timeout: headers not received within ${ms} ms`, 408),
  /** The request deadline passed before the whole body arrived (Go: ReadTimeout, then a 400 from the decoder). */
  readTimeout: (local: string, remote: string) => new ApiError(`bad request body: read tcp ${local}->${remote}: i/o timeout`, 400),
  /** Listen/resolve failures surface as 500 with Go's error text. */
  internal: (message: string) => new ApiError(message, 500),
} as const;

/** Plain-text replies outside the JSON error shape. */
export const TEXT = {
  notFound: '404 page not found\n',
  userAgentBlocked: 'User agent not allowed\n',
} as const;

/**
 * Any error as the API answers it. Errors fastify raises while reading a body carry a 4xx `statusCode` (too large,
 * a Content-Length the body does not match, the client going away): those stay 4xx in Toxiproxy's body shape.
 * Only a real failure of the server (a listen error, a bug) is a 500.
 */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return Errors.bodyTooLarge();
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError(`bad request body: ${String(e.message)}`, e.statusCode);
  }
  return Errors.internal(err instanceof Error ? err.message : String(err));
}
