export * from './errors.ts';
export * from './clock.ts';
export * from './logger.ts';
export * from './workqueue.ts';
export type * from './kube-object.ts';
export * from './message/index.ts';
export * from './bus/index.ts';
export * from './names.ts';
export * from './concurrency-limit.ts';
