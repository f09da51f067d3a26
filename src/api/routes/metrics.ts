import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/** Serves the Prometheus metrics. Like /healthz it needs no token, so keep the port off the public internet or filter /metrics at the proxy. */
export const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, { registry }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Prometheus metrics in the text exposition format',
        produces: [registry.contentType],
      },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
};
