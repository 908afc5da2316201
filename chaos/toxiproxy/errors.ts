/**
 * The one catalogue of API errors. Texts and statuses are Toxiproxy 2.12.0's (api.go), except `invalidAttributes`,
 * which is ours: inputs that crash or wedge the real server (slicer average_size 0, negative bandwidth rate, ...)
 * are refused with a 400 in the same `{"error","status"}` body instead.
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
  /** Listen/resolve failures surface as 500 with Go's error text. */
  internal: (message: string) => new ApiError(message, 500),
} as const;

/** Plain-text replies outside the JSON error shape. */
export const TEXT = {
  notFound: '404 page not found\n',
  userAgentBlocked: 'User agent not allowed\n',
} as const;

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : Errors.internal(err instanceof Error ? err.message : String(err));
}
