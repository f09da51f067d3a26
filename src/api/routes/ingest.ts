import type { FastifyPluginAsync, FastifyRequest, FastifySchemaCompiler } from 'fastify';

import { eventRecordSchema, usageRecordSchema, type JsonSchema } from '../../records/schemas.js';
import type { RecordKind } from '../../records/types.js';
import { validateRecords } from '../../records/validate.js';
import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef, type FieldError } from '../errors.js';
import { MAX_REPORTED_ERRORS, invalidRecordsError, parseJsonArrayBody, parseNdjsonBody } from '../ingest-body.js';
import { ADMIN_TOKEN_SECURITY, requireAdminToken } from '../request-auth.js';

const ACCEPTED_BODIES = 'a JSON array of records (application/json) or one record per line (application/x-ndjson)';

const ENDPOINTS: { path: string; kind: RecordKind; recordSchema: JsonSchema; summary: string }[] = [
  { path: '/api/v1/ingest/events', kind: 'event', recordSchema: eventRecordSchema, summary: 'Store events for delivery' },
  { path: '/api/v1/ingest/usage', kind: 'usage', recordSchema: usageRecordSchema, summary: 'Store usage records for delivery' },
];

// Records are validated one by one with validateRecords, which reports each
// problem with the record's index, so the route schema only documents the body.
const documentationOnly: FastifySchemaCompiler<unknown> = () => () => true;

/** The fields of a valid record that ingest reads. */
interface ValidRecord {
  id: number;
  organisation: { id: number };
}

/**
 * Operator routes that store records. A request is all or nothing: one
 * invalid record, or one record of an unknown organisation, rejects it with
 * 400 and nothing is stored. The response is sent after the records are
 * committed, so an accepted record survives a crash.
 */
export const ingestRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { config, storage, delivery } = deps;
  const bodyLimit = config.ingestBodyLimitBytes;

  // These parsers apply only inside this plugin; other routes keep the service-wide JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, async (_request: FastifyRequest, body: string) =>
    parseJsonArrayBody(body),
  );
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit }, async (_request: FastifyRequest, body: string) =>
    parseNdjsonBody(body),
  );
  app.addContentTypeParser('*', async (request: FastifyRequest) => {
    throw apiError('unsupported_media_type', { content_type: request.headers['content-type'] ?? '(none)', expected: ACCEPTED_BODIES });
  });

  for (const endpoint of ENDPOINTS) {
    const schema = {
      tags: ['Ingest'],
      summary: endpoint.summary,
      description: `Body: ${ACCEPTED_BODIES}. Records already stored (same organisation and id) count as duplicates and are not stored again.`,
      security: ADMIN_TOKEN_SECURITY,
      consumes: ['application/json', 'application/x-ndjson'],
      body: { type: 'array', items: withoutDialect(endpoint.recordSchema) },
      response: {
        200: {
          type: 'object',
          required: ['accepted', 'duplicates'],
          properties: {
            accepted: { type: 'integer', description: 'Records stored by this request.' },
            duplicates: { type: 'integer', description: 'Records skipped because they were stored before or earlier in this request.' },
          },
        },
        400: errorBodyRef,
        401: errorBodyRef,
        413: errorBodyRef,
        415: errorBodyRef,
        503: errorBodyRef,
      },
    };

    app.post(
      endpoint.path,
      { schema, bodyLimit, validatorCompiler: documentationOnly, onRequest: requireAdminToken(config.adminToken) },
      async (request) => {
        if (!Array.isArray(request.body)) {
          throw apiError('unsupported_media_type', { content_type: request.headers['content-type'] ?? '(none)', expected: ACCEPTED_BODIES });
        }
        const records: unknown[] = request.body;
        if (records.length === 0) return { accepted: 0, duplicates: 0 };

        const errors: FieldError[] = validateRecords(endpoint.kind, records, MAX_REPORTED_ERRORS);
        if (errors.length > 0) throw invalidRecordsError(errors);

        const validRecords = records as ValidRecord[];
        const organisationIds = [...new Set(validRecords.map((record) => record.organisation.id))];
        checkOrganisationsExist(deps, validRecords, organisationIds);

        const result = storage.appendRecords(
          endpoint.kind,
          validRecords.map((record) => ({
            organisation_id: record.organisation.id,
            record_id: record.id,
            body: JSON.stringify(record),
          })),
        );
        delivery.recordsAppended(organisationIds, endpoint.kind);
        deps.metrics?.recordsIngested.inc({ kind: endpoint.kind }, result.accepted);
        deps.metrics?.recordsDuplicated.inc({ kind: endpoint.kind }, result.duplicates);

        request.log.info({ kind: endpoint.kind, ...result }, 'records ingested');
        return result;
      },
    );
  }
};

function checkOrganisationsExist(deps: ApiDeps, records: ValidRecord[], organisationIds: number[]): void {
  const missing = new Set(deps.storage.findMissingOrganisations(organisationIds));
  if (missing.size === 0) return;

  const errors: FieldError[] = [];
  for (let index = 0; index < records.length && errors.length < MAX_REPORTED_ERRORS; index++) {
    const organisationId = records[index].organisation.id;
    if (!missing.has(organisationId)) continue;

    errors.push({
      index,
      field: 'organisation.id',
      message: `organisation ${organisationId} does not exist; create it with \`datastreamer org create\` before ingesting its records`,
    });
  }
  throw invalidRecordsError(errors);
}

/** Drops `$schema`, which OpenAPI does not allow inside a schema object. */
function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
