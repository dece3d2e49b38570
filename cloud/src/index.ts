export { ApiServer, type ApiServerOptions } from './apiserver/apiserver.ts';
export type { KubeObject, ObjectMeta, ResourceType } from './apiserver/types.ts';
export * from './cloudhub/index.ts';
export { CloudCore, type CloudCoreOptions } from './cloudcore.ts';
export * from './edgecontroller/index.ts';
