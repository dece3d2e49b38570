export type * from './twin-types.ts';
export { DEVICE_STATES } from './twin-types.ts';
export * from './topics.ts';
export * from './twin-validation.ts';
