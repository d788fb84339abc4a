export { CONFIG_NAMESPACE, loadStackConfig, parseStackConfig, readStackFile, type StackFile } from './load-stack-config.js';
export { MANAGED_ENV } from './stack-config.rules.js';
export { StackConfigSchema, STACK_SECTIONS, type Slot, type StackConfig } from './stack-config.schema.js';
