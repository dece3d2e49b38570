/**
 * The PATCH bodies the API server applies itself: JSON patch, JSON merge patch and strategic merge
 * patch (kubectl-contract.md §3–4). Server-side apply (`application/apply-patch+yaml`) is handled
 * by the registry, not here.
 */
import { badRequest, unsupportedMediaType } from '../status.ts';
import { applyJsonPatch } from './json-patch.ts';
import { applyMergePatch, isJsonObject } from './merge-patch.ts';
import type { PatchMeta } from './patch-meta.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';
export { applyMergePatch, isJsonObject, type JsonObject } from './merge-patch.ts';
export { applyStrategicMergePatch } from './strategic-merge-patch.ts';
export { mergesItems, patchMetaFor, type PatchMeta, type PatchStrategy } from './patch-meta.ts';

/** The media types {@link applyPatch} accepts (types.PatchType in k8s.io/apimachinery, minus apply). */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

export type PatchContentType = (typeof PATCH_CONTENT_TYPES)[number];

/**
 * Applies `patch` to `original` as the Content-Type says and returns the result; neither input
 * is changed. Parameters after `;` are ignored. `meta` is used by strategic merge patch only
 * (undefined = merge as JSON merge patch). Throws ApiError 415 for any other content type, and the
 * 400/413/422 errors of the patch functions for a bad patch.
 */
export function applyPatch(
  contentType: string,
  original: unknown,
  patch: unknown,
  meta: PatchMeta | undefined,
): unknown {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (!isPatchContentType(mediaType)) {
    // The wording of kube-apiserver's 415 for PATCH (apiserver handlers/patch.go).
    throw unsupportedMediaType(
      contentType,
      `accepted media types include: ${PATCH_CONTENT_TYPES.join(', ')}`,
    );
  }
  switch (mediaType) {
    case 'application/json-patch+json':
      return applyJsonPatch(original, patch);
    case 'application/merge-patch+json':
      // evanphx/json-patch MergePatch answers ErrBadJSONPatch (400) for a body that is not an
      // object; an object is also the only body that can leave a Kubernetes object behind.
      if (!isJsonObject(patch)) throw badRequest('Invalid JSON Patch: a merge patch must be a JSON object');
      return applyMergePatch(original, patch);
    case 'application/strategic-merge-patch+json':
      return applyStrategicMergePatch(original, patch, meta);
  }
}

function isPatchContentType(mediaType: string): mediaType is PatchContentType {
  return (PATCH_CONTENT_TYPES as readonly string[]).includes(mediaType);
}
