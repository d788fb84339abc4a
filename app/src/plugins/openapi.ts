import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** OpenAPI 3 document generated from the route schemas; the UI at /docs when enabled in config. */
export const openApiPlugin = fp(async function openApi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'BaluHost API', version: app.config.version, description: 'Self-hosted NAS management API.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  if (app.config.server.docsEnabled) {
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  }
});
