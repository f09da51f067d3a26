/**
 * The catalogue of errors the API returns. Every error body has the shape
 * `{"error_code": <int>, "error_token": "<snake_case>", "message": "<sentence>"}`.
 * Validation errors add `errors`, a list of `{field, message}`, with `index`
 * for ingested records.
 *
 * Messages are templates: `{name}` is replaced by the parameter of that name.
 * Error codes are grouped: 1xxx request format, 2xxx authentication,
 * 3xxx resources, 4xxx limits, 5xxx service faults.
 */
export const API_ERRORS = {
  malformed_json: {
    status: 400,
    error_code: 1001,
    message: 'The request body is not valid JSON: {detail}. Send a well-formed JSON document.',
  },
  invalid_ingest_body: {
    status: 400,
    error_code: 1002,
    message: 'The request body is {found}. Send a JSON array of records (Content-Type: application/json) or one record per line (Content-Type: application/x-ndjson).',
  },
  invalid_records: {
    status: 400,
    error_code: 1003,
    message: 'Found {count} problem(s) in the records, listed in errors. Nothing was stored: fix those records and send the whole request again.',
  },
  bad_request: {
    status: 400,
    error_code: 1004,
    message: 'The request is invalid: {detail}.',
  },
  unsupported_media_type: {
    status: 415,
    error_code: 1005,
    message: 'Content-Type "{content_type}" is not supported here. Send {expected}.',
  },
  validation_failed: {
    status: 422,
    error_code: 1006,
    message: 'The request {part} is invalid: {count} problem(s) listed in errors.',
  },
  setup_check_failed: {
    status: 422,
    error_code: 1007,
    message: 'The AWS setup check failed: {diagnosis}',
  },

  missing_bearer_token: {
    status: 401,
    error_code: 2001,
    message: 'This call requires the header "Authorization: Bearer <{token_kind}>".',
  },
  invalid_auth_token: {
    status: 401,
    error_code: 2002,
    message: 'The auth token is invalid or has expired. Get a new one with POST /api/v1/authenticate.',
  },
  invalid_application_token: {
    status: 401,
    error_code: 2003,
    message: 'The application token is wrong or has been revoked. Ask the operator or an organisation administrator for a valid one.',
  },
  invalid_refresh_token: {
    status: 401,
    error_code: 2004,
    message: 'The refresh token is unknown, already used, expired or revoked. Authenticate with an application token instead.',
  },
  invalid_admin_token: {
    status: 401,
    error_code: 2005,
    message: 'The admin token is wrong. Use the value of DATASTREAMER_ADMIN_TOKEN that the service runs with.',
  },
  admin_token_not_configured: {
    status: 503,
    error_code: 2006,
    message: 'Operator calls are disabled because no admin token is configured. Set DATASTREAMER_ADMIN_TOKEN and restart the service.',
  },
  auth_token_revoked: {
    status: 401,
    error_code: 2007,
    message: 'The auth token was issued from an application token that has been revoked. Authenticate with an active application token.',
  },

  route_not_found: {
    status: 404,
    error_code: 3001,
    message: 'There is no call {method} {url}. The API reference at /docs lists the calls.',
  },
  data_stream_not_found: {
    status: 404,
    error_code: 3002,
    message: 'Data stream {id} does not exist in your organisation. GET /api/v2/data_stream lists your streams.',
  },
  stream_state_conflict: {
    status: 409,
    error_code: 3003,
    message: 'Data stream {id} is {status}, so it cannot be {action} now. {fix}',
  },
  application_token_not_found: {
    status: 404,
    error_code: 3004,
    message: 'Application token {id} does not exist in your organisation or is already revoked. GET /api/v1/application_token lists the active tokens.',
  },

  body_too_large: {
    status: 413,
    error_code: 4001,
    message: 'The request body is larger than the limit of {limit} bytes. Split the data into smaller requests.',
  },
  rate_limited: {
    status: 429,
    error_code: 4002,
    message: 'Too many requests from your address. Retry in {retry_after}.',
  },

  internal_error: {
    status: 500,
    error_code: 5001,
    message: 'The service failed to handle the request. Retry later, or report the request id {request_id} to the operator.',
  },
  storage_unavailable: {
    status: 503,
    error_code: 5002,
    message: 'The storage does not respond, so the service cannot serve requests. The service log names the cause.',
  },
  setup_check_unavailable: {
    status: 503,
    error_code: 5003,
    message: 'The AWS setup check could not finish: {diagnosis}',
  },
} as const satisfies Record<string, { status: number; error_code: number; message: string }>;

export type ErrorToken = keyof typeof API_ERRORS;

/** Names of the `{placeholders}` in a message template. */
type Placeholders<Template extends string> = Template extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;

export type ErrorParams<Token extends ErrorToken> = Record<Placeholders<(typeof API_ERRORS)[Token]['message']>, string | number>;

/** One problem of a validation error. `index` is the record's position in an ingest request. */
export interface FieldError {
  index?: number;
  field: string;
  message: string;
}

export interface ErrorBody {
  error_code: number;
  error_token: ErrorToken;
  message: string;
  errors?: FieldError[];
  /** The diagnosis of a failed AWS setup check. */
  diagnosis?: { code: string; message: string };
}

/** An error from the catalogue, thrown by handlers and hooks and rendered by the error handler. */
export class ApiError extends Error {
  readonly token: ErrorToken;
  readonly statusCode: number;
  readonly errors: FieldError[] | undefined;

  constructor(token: ErrorToken, message: string, errors?: FieldError[]) {
    super(message);
    this.name = 'ApiError';
    this.token = token;
    this.statusCode = API_ERRORS[token].status;
    this.errors = errors;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { error_code: API_ERRORS[this.token].error_code, error_token: this.token, message: this.message };
    if (this.errors !== undefined) body.errors = this.errors;
    return body;
  }
}

/** Builds the catalogue error `token`, filling its message template with `params`. */
export function apiError<Token extends ErrorToken>(token: Token, params: ErrorParams<Token>, errors?: FieldError[]): ApiError {
  const template: string = API_ERRORS[token].message;
  const values = params as Record<string, string | number>;
  const message = template.replace(/\{(\w+)\}/g, (placeholder, name: string) => (name in values ? String(values[name]) : placeholder));
  return new ApiError(token, message, errors);
}

/** JSON schema of the error body, shared by the routes' response schemas and the OpenAPI description. */
export const errorBodySchema = {
  $id: 'ApiError',
  type: 'object',
  required: ['error_code', 'error_token', 'message'],
  properties: {
    error_code: { type: 'integer' },
    error_token: { type: 'string', enum: Object.keys(API_ERRORS) },
    message: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          index: { type: 'integer', description: 'Position of the record in an ingest request, from 0.' },
          field: { type: 'string', description: 'Dotted path of the field, such as destination.credentials.bucket_name, or empty for a whole record.' },
          message: { type: 'string' },
        },
      },
    },
    diagnosis: {
      type: 'object',
      description: 'Failed AWS setup checks only: the stable code of the cause, and a message naming the cause and the fix.',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export const errorBodyRef = { $ref: 'ApiError#' } as const;
