import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../stacks/config/index.js';
import { applyConfigEdits } from '../../stacks/config/stack-file-edit.js';
import { readStackFile } from '../../stacks/config/index.js';
import { parse } from 'yaml';
import { planPromotion } from '../../stacks/release/promotion.js';
import { configEdits } from '../../stacks/release/pulumi-stack-driver.js';
import { parseHistory, currentRelease, findRelease } from '../../stacks/release/index.js';
import { parseWatchSample, serverErrorRatio } from '../../stacks/release/index.js';
import { stackConfig } from '../helpers/stack-configs.js';

const DIGEST = `ghcr.io/baluhost/baluhost@sha256:${'c'.repeat(64)}`;

describe('editing Pulumi.<stack>.yaml', () => {
  const original = `# my NAS\nconfig:\n  baluhost:secretKey:\n    secure: v1:ENCRYPTED\n  baluhost:app:\n    # blue is live\n    activeSlot: blue\n`;

  it('sets nested keys, keeps comments and secure values untouched', () => {
    const next = applyConfigEdits(original, configEdits({ slotImages: { green: DIGEST }, activeSlot: 'green', release: 'r9' }));
    expect(next).toContain('# my NAS');
    expect(next).toContain('# blue is live');
    expect(next).toContain('secure: v1:ENCRYPTED');
    const doc = parse(next) as { config: Record<string, { activeSlot: string; release: string; slotImages: { green: string } }> };
    expect(doc.config['baluhost:app']).toEqual({ activeSlot: 'green', release: 'r9', slotImages: { green: DIGEST } });
  });

  it('the edited example stacks still validate', async () => {
    const { sections } = await readStackFile(process.cwd(), 'prod');
    const edited = parse(
      applyConfigEdits(
        `config:\n${Object.entries(sections)
          .map(([k, v]) => `  baluhost:${k}: ${JSON.stringify(v)}`)
          .join('\n')}\n`,
        configEdits({ slotImages: { green: DIGEST } }),
      ),
    ) as { config: Record<string, unknown> };
    const config = parseStackConfig(Object.fromEntries(Object.entries(edited.config).map(([k, v]) => [k.replace('baluhost:', ''), v])));
    expect(config.app.slotImages.green).toBe(DIGEST);
  });
});

describe('promotion', () => {
  it("takes the source's serving digest and app env, and says what changes in the target", () => {
    const source = stackConfig({ app: { env: { LOG_LEVEL: 'debug' } } });
    const target = stackConfig({ app: { activeSlot: 'blue', env: { BALUHOST_DOCS_ENABLED: 'true' } } });
    const promotion = planPromotion({ config: source, outputs: { activeSlot: 'green', slotImages: { blue: 'x', green: DIGEST } } }, target);
    expect(promotion.image).toBe(DIGEST);
    expect(promotion.env).toEqual({ LOG_LEVEL: 'debug' });
    expect(promotion.summary).toEqual([
      `image: (built) → ${DIGEST} (slot green, then switched)`,
      'app.env.LOG_LEVEL: (unset) → debug',
      'app.env.BALUHOST_DOCS_ENABLED: true → (removed)',
    ]);
  });

  it('refuses an image that is not pinned by digest or missing', () => {
    const config = stackConfig();
    expect(() => planPromotion({ config, outputs: { activeSlot: 'blue', slotImages: { blue: 'ghcr.io/x/y:latest' } } }, config)).toThrow(
      /not pinned by digest/,
    );
    expect(() => planPromotion({ config, outputs: {} }, config)).toThrow(/deploy it first/);
  });
});

describe('release history', () => {
  it('skips a torn last line and finds the current and named releases', () => {
    const text = [
      JSON.stringify({ release: 'r1', step: 'finished', outcome: 'succeeded', operation: 'deploy', config: {} }),
      JSON.stringify({ release: 'r2', step: 'finished', outcome: 'rolled-back', operation: 'deploy' }),
      JSON.stringify({ release: 'r1', step: 'finished', outcome: 'succeeded', operation: 'rollback', config: { x: 1 } }),
      '{"release":"r3","step":"fin',
    ].join('\n');
    const history = parseHistory(text);
    expect(history).toHaveLength(3);
    expect(currentRelease(history)?.operation).toBe('rollback');
    expect(findRelease(history)?.release).toBe('r1');
    expect(findRelease(history, 'r2')).toBeUndefined();
  });
});

describe('watch samples', () => {
  it('count 5xx among the requests between two samples', () => {
    const before = parseWatchSample(
      'ready 200\nbaluhost_http_request_duration_seconds_count{method="GET",route="/a",status="200"} 90\nbaluhost_http_request_duration_seconds_count{method="GET",route="/a",status="500"} 10\n',
    );
    const after = parseWatchSample(
      'ready 503\nbaluhost_http_request_duration_seconds_count{method="GET",route="/a",status="200"} 180\nbaluhost_http_request_duration_seconds_count{method="GET",route="/a",status="500"} 20\nbaluhost_http_request_duration_seconds_count{method="GET",route="/b",status="404"} 10\n',
    );
    expect(after.readyStatus).toBe(503);
    expect(serverErrorRatio(before, after)).toBeCloseTo(10 / 110);
    expect(serverErrorRatio(after, after)).toBe(0);
  });
});
