/**
 * The resource catalog of the embedded API server: what is served (built-ins and CRD-made
 * types), how it is described (discovery, OpenAPI), printed (Table) and validated. Pure
 * functions of their inputs; storage and HTTP live elsewhere.
 */
export {
  ageColumn,
  builtinResourceTypes,
  formatLabelSelector,
  formatLabels,
  kindSchema,
  nameColumn,
  nodeRoles,
  nodeStatus,
  STANDARD_VERBS,
  serviceExternalIP,
  servicePorts,
  summarizePod,
} from './builtin-resources.ts';
export type { PodSummary } from './builtin-resources.ts';
export {
  base64ErrorOffset,
  dnsNameErrors,
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  fieldTypeInvalid,
  formatBadValue,
  qualifiedNameErrors,
  selectorMatches,
  StringMapValue,
  validateBuiltin,
  validateObjectMeta,
  validateObjectName,
} from './builtin-validation.ts';
export type { NameRule } from './builtin-validation.ts';
export {
  evaluateJsonPath,
  JsonPathError,
  parseJsonPath,
  printerColumn,
  resourceTypesFromCrd,
  validateCrd,
} from './crd-resource-types.ts';
export type { JsonPathStep } from './crd-resource-types.ts';
export {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  compareKubeVersions,
  DISCOVERY_CONTENT_TYPES,
  negotiateDiscovery,
} from './discovery.ts';
export type { DiscoveryFormat } from './discovery.ts';
export {
  groupVersionPath,
  openApiV3Document,
  openApiV3Documents,
  openApiV3Hash,
  openApiV3Index,
  schemaName,
} from './openapi.ts';
export type { OpenApiDocument, OpenApiV3GroupVersion, OpenApiV3Index } from './openapi.ts';
export {
  applySchemaDefaults,
  OBJECT_META_FIELDS,
  pruneUnknownFields,
  strictDecodingError,
  unknownFieldWarning,
  validateAgainstSchema,
} from './schema-validation.ts';
export type { SchemaValidationOptions, SchemaValidationResult } from './schema-validation.ts';
export {
  ageSince,
  creationAge,
  humanDuration,
  parseAcceptHeader,
  parseTimestamp,
  renderTable,
  wantsTable,
} from './table.ts';
export type {
  IncludeObject,
  MediaRange,
  Table,
  TableCell,
  TableColumnDefinition,
  TableOptions,
  TableRow,
} from './table.ts';
