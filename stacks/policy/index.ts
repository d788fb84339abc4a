/** `pulumi preview --policy-pack stacks/policy`: BaluHost's rules for what may run on a NAS. */
import { PolicyPack } from '@pulumi/policy';
import { BALUHOST_POLICIES } from './policies.js';

new PolicyPack('baluhost', { policies: BALUHOST_POLICIES });
