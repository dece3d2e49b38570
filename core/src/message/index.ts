export * from './vocabulary.ts';
export * from './message.ts';
export * from './resource.ts';
export * from './delivery.ts';
