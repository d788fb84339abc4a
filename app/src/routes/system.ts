import type { FastifyInstance } from 'fastify';
import { principalOf } from '../plugins/auth.js';
import { authErrorResponses } from '../schemas/common.js';
import { NotImplementedError } from '../errors/index.js';
import {
  AggregatedStorage,
  AvailableDisks,
  DiskIoHistory,
  QuotaInfo,
  RaidStatus,
  SmartMode,
  SmartStatus,
  StorageInfo,
  SystemInfo,
  TelemetryHistory,
} from '../schemas/system.js';

/** What the original's RAID page can ask to change; BaluHost changes no disk (see docs/API.md). */
const RAID_WRITES = ['degrade', 'rebuild', 'finalize', 'options', 'format-disk', 'create-array', 'delete-array', 'dev/add-mock-disk'];

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
  app.get('/api/system/smart/mode', opts(SmartMode), async () => system.smartMode());
  app.post('/api/system/smart/toggle-mode', opts(SmartMode), async () => system.toggleSmartMode());
  app.get('/api/system/storage/aggregated', opts(AggregatedStorage), async () => system.aggregatedStorage());
  app.get('/api/system/disk-io/history', opts(DiskIoHistory), async () => system.diskIoHistory());
  app.get(
    '/api/system/raid/available-disks',
    { preValidation: app.requireAdmin, schema: { tags, security, response: { 200: AvailableDisks, ...authErrorResponses } } },
    async () => system.availableDisks(),
  );
  for (const action of RAID_WRITES)
    app.post(`/api/system/raid/${action}`, { preValidation: app.requireAdmin, schema: { tags, security } }, async () => {
      throw new NotImplementedError(
        `BaluHost does not change disks or arrays (${action}): use mdadm on the NAS itself; BaluHost shows the result`,
        'raid_changes_unsupported',
      );
    });
}
