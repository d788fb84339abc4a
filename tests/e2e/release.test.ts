/** The release operations with the slots as processes of this checkout (see tests/helpers/release-suite.ts). */
import { releaseSuite } from '../helpers/release-suite.js';
import { SimulatedNas } from '../helpers/simulated-nas.js';

releaseSuite('release operations on a simulated NAS', () => SimulatedNas.start());
