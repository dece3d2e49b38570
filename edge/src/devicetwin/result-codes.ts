/**
 * The `code` of a failed twin result (`…/twin/update/result`, `…/twin/get/result`, …):
 * KubeEdge's `edge/pkg/devicetwin/dtcommon/common.go`.
 */
export const TWIN_RESULT_CODES = {
  /** The payload is not JSON, lacks `twin`, or has a bad name, value or type. */
  badRequest: 400,
  /** The device is not a member of this node. */
  notFound: 404,
  /** Version conflict (`ConflictCode`). */
  conflict: 409,
  /** Storage failed. */
  internalError: 500,
} as const;

export type TwinResultCode = (typeof TWIN_RESULT_CODES)[keyof typeof TWIN_RESULT_CODES];
