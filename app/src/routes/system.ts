import type { FastifyInstance } from 'fastify';
import { principalOf } from '../plugins/auth.js';
import { authErrorResponses } from '../schemas/common.js';
import { QuotaInfo, RaidStatus, SmartStatus, StorageInfo, SystemInfo, TelemetryHistory } from '../schemas/system.js';

export async function systemRoutes(app: FastifyInstance) {
  const tags = ['system'];
  const security = [{ bearer: [] }];
  const { system } = app.services;
  const opts = (response: unknown) => ({
    preValidation: app.authenticate,
    schema: { tags, security, response: { 200: response, ...authErrorResponses } },
  });

  app.get('/api/system/info', opts(SystemInfo), async () => system.info());
  app.get('/api/system/storage', opts(StorageInfo), async () => system.storageInfo());
  app.get('/api/system/quota', opts(QuotaInfo), async (request) => system.quota(principalOf(request)));
  app.get('/api/system/telemetry/history', opts(TelemetryHistory), async () => system.telemetryHistory());
  app.get('/api/system/raid/status', opts(RaidStatus), async () => system.raidStatus());
  app.get('/api/system/smart/status', opts(SmartStatus), async () => system.smartStatus());
}
