/**
 * The release operations on containers: the blue and green slots are containers of the real image,
 * PostgreSQL the postgres image's, under the program's names; deploy, health-gate failure, watch-window
 * rollback, instant rollback and rollback --to --with-data under load through nginx.
 */
import { beforeAll } from 'vitest';
import { containerImages } from '../helpers/container-images.js';
import { ContainerNas } from '../helpers/container-nas.js';
import { releaseSuite } from '../helpers/release-suite.js';

beforeAll(async () => {
  await containerImages();
}, 30 * 60_000);

releaseSuite('release operations on containers', () => ContainerNas.start());
