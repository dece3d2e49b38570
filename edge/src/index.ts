export * from './edgehub/backoff.ts';
export * from './edgehub/cert-fetch.ts';
export * from './edgehub/certificates.ts';
export * from './edgehub/edgehub-client.ts';
export * from './metamanager/store.ts';
export * from './edgecore/edgecore.ts';
