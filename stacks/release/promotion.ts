/** What promoting a tested release from one stack to another changes in the target's config. */
import { ReleaseError } from '../../app/src/errors/index.js';
import type { StackConfig } from '../config/index.js';
import { inactiveSlot } from '../components/app-release.js';

export interface Promotion {
  image: string;
  /** App settings copied from the source (everything but host-specific paths, slots and ports). */
  env: Record<string, string>;
  summary: string[];
}

/** The source's serving image (its outputs hold per-slot digests) and app env, against the target's current config. */
export function planPromotion(source: { config: StackConfig; outputs: Record<string, unknown> }, target: StackConfig): Promotion {
  const images = source.outputs['slotImages'] as Record<string, string> | undefined;
  const active = (source.outputs['activeSlot'] as string | undefined) ?? source.config.app.activeSlot;
  const image = images?.[active];
  if (!image) throw new ReleaseError('promote', `the source stack has no image output for its active slot ${active}; deploy it first`);
  if (!/@sha256:[a-f0-9]{64}$/.test(image))
    throw new ReleaseError('promote', `the source's image ${image} is not pinned by digest; promote only what was tested, by digest`);
  const summary: string[] = [];
  const into = inactiveSlot(target.app.activeSlot);
  const current = target.app.slotImages[into] ?? target.app.image ?? '(built)';
  summary.push(current === image ? `image: ${image} (already in ${into})` : `image: ${current} → ${image} (slot ${into}, then switched)`);
  for (const [name, value] of Object.entries(source.config.app.env)) {
    if (target.app.env[name] !== value) summary.push(`app.env.${name}: ${target.app.env[name] ?? '(unset)'} → ${value}`);
  }
  for (const name of Object.keys(target.app.env))
    if (!(name in source.config.app.env)) summary.push(`app.env.${name}: ${target.app.env[name]} → (removed)`);
  return { image, env: { ...source.config.app.env }, summary };
}
