export * from './edgehub/backoff.ts';
export * from './edgehub/cert-fetch.ts';
export * from './edgehub/certificates.ts';
export * from './edgehub/edgehub-client.ts';
export * from './metamanager/store.ts';
export * from './edgecore/edgecore.ts';
export * from './edged/index.ts';
export { Edged, type EdgedOptions } from './edged/edged.ts';
export * from './metamanager/upstream-queue.ts';
