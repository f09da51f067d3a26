import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

const packageJson = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * Registers the OpenAPI description, built from the route schemas, at
 * `/openapi.json`, and a browsable reference at `/docs`. Must be registered
 * before the routes, because it collects them as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'datastreamer API',
        version: packageJson.version,
        description:
          "Delivers each organisation's usage records and events into its own S3 bucket, Kinesis stream or HTTPS endpoint. " +
          'Organisations authenticate with POST /api/v1/authenticate; the operator ingests records with the admin token.',
      },
      components: {
        securitySchemes: {
          authToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'Auth token from POST /api/v1/authenticate.',
          },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The operator token set in DATASTREAMER_ADMIN_TOKEN.',
          },
        },
      },
    },
    // Shared schemas (the error body) appear under their own $id in components.schemas.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`),
    },
  });

  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
