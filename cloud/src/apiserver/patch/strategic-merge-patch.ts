/**
 * Strategic merge patch, as kube-apiserver applies `application/strategic-merge-patch+json` to
 * built-in kinds: k8s.io/apimachinery `pkg/util/strategicpatch/patch.go` (`StrategicMergeMapPatch`
 * → `mergeMap`, with MergeParallelList and IgnoreUnmatchedNulls set, as the server calls it).
 * The directives and their order rules follow that file and the design note
 * kubernetes/community `contributors/design-proposals/cli/preserve-order-in-strategic-merge-patch.md`.
 *
 * Differences from kube, all on inputs kubectl does not produce: a value the patch adds where the
 * original had none is cleaned too (nulls and directives dropped; kube copies it as is), and
 * malformed directives are 400s where kube answers 500.
 */
import { ApiError, badRequest } from '../status.ts';
import { applyMergePatch, isJsonObject, ownValue, setOwn, type JsonObject } from './merge-patch.ts';
import { mergesItems, type PatchMeta } from './patch-meta.ts';

/** `$patch: replace | delete` on a map or on a list item (patch.go `directiveMarker`). */
const DIRECTIVE = '$patch';
/** `$retainKeys: [...]`: keys of the original map not listed are cleared (patch.go `retainKeysDirective`). */
const RETAIN_KEYS = '$retainKeys';
/** `$setElementOrder/<list>: [...]`: the order the merged list must follow. */
const SET_ELEMENT_ORDER = '$setElementOrder/';
/** `$deleteFromPrimitiveList/<list>: [...]`: values to remove from a list of primitives. */
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

type KeyOf = (item: unknown) => unknown;

/**
 * Applies a strategic merge patch to `original` using `meta` (see patch-meta.ts) and returns the
 * result; neither input is changed and the result shares no objects with them. With `meta`
 * undefined (a kind without patch metadata) it is a JSON merge patch. Throws ApiError 400 for a
 * malformed patch and 422 for content that contradicts its `$retainKeys` or a list of lists.
 */
export function applyStrategicMergePatch(
  original: unknown,
  patch: unknown,
  meta: PatchMeta | undefined,
): unknown {
  if (!isJsonObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKind(patch)} into Go value of type map[string]interface {}: a strategic merge patch must be a JSON object`,
    );
  }
  if (meta === undefined) return applyMergePatch(original, patch);
  // Both are copied once here; from then on the merge owns them and may change them in place.
  const base = isJsonObject(original) ? structuredClone(original) : {};
  return mergeMap(base, structuredClone(patch), meta, '');
}

/** patch.go `mergeMap`: merges `patch` into `original`, which the caller owns. */
function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  meta: PatchMeta | undefined,
  path: string,
): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    // patch.go handleDirectiveInMergeMap: `replace` keeps only the patch's content, `delete`
    // leaves an empty map.
    const { [DIRECTIVE]: directive, ...rest } = patch;
    if (directive === 'replace') return mergeMap({}, rest, meta, path);
    if (directive === 'delete') return {};
    throw badRequest(
      `${at(path)}unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`,
    );
  }
  applyRetainKeys(original, patch, path);
  const ordered = applySetElementOrder(original, patch, meta, path);
  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || ordered.has(key)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deletions.push([key, value]);
    } else if (value === null) {
      delete original[key];
    } else {
      setOwn(
        original,
        key,
        mergeValue(ownValue(original, key), value, fieldMeta(meta, key), child(path, key)),
      );
    }
  }
  // Deletions go last so the result does not depend on the order of keys in the patch.
  for (const [key, value] of deletions) deleteFromPrimitiveList(original, key, value, path);
  return original;
}

/** The merge of one field: maps merge unless tagged `replace`, lists go to mergeList, others replace. */
function mergeValue(current: unknown, value: unknown, meta: PatchMeta | undefined, path: string): unknown {
  if (isJsonObject(value)) {
    // patch.go mergeMapHandler: a `replace` field takes the patch's map as it is. A value the
    // original lacks (or holds as another type) is merged into `{}`, which drops its nulls and
    // directives.
    const base = meta?.strategy !== 'replace' && isJsonObject(current) ? current : {};
    return mergeMap(base, value, meta, path);
  }
  if (Array.isArray(value)) return mergeList(Array.isArray(current) ? current : [], value, meta, path);
  return value;
}

/** patch.go `mergeSliceHandler` / `mergeSlice`: merges a list field; `original` is owned. */
function mergeList(
  original: unknown[],
  patch: unknown[],
  meta: PatchMeta | undefined,
  path: string,
): unknown[] {
  return mergeListWithView(original, patch, meta, path).list;
}

/**
 * A merged list, plus the live list as patch.go's `$setElementOrder` step then sees it. In Go,
 * `mergeSlice` deletes and appends in the live list's backing array, so `originalFieldValue` in
 * `mergePatchIntoOriginal` reads the shifted items afterwards, and the order of server-only items
 * follows that view. kube's own tests (patch_test.go "add map and delete map from merging list")
 * depend on it, so we reproduce it.
 */
interface MergedList {
  readonly list: unknown[];
  readonly liveView: unknown[];
}

function mergeListWithView(
  original: unknown[],
  patch: unknown[],
  meta: PatchMeta | undefined,
  path: string,
): MergedList {
  if (!mergesItems(meta)) return { list: replaceList(patch, meta?.items, path), liveView: [...original] };
  switch (elementKind([...original, ...patch], path)) {
    case 'none':
      return { list: original, liveView: [...original] };
    case 'primitive':
      return { list: mergePrimitiveList(original, patch), liveView: [...original] };
    case 'object': {
      const mergeKey = meta?.mergeKey;
      if (!mergeKey) throw badRequest(`${at(path)}cannot merge lists without merge key for type map`);
      return mergeObjectList(original, patch, mergeKey, meta.items, path);
    }
  }
}

/**
 * A list without merge strategy is replaced by the patch's list. Its items are cleaned like new
 * values, and items carrying `$patch` are list-level markers, so they are dropped.
 */
function replaceList(patch: unknown[], items: PatchMeta | undefined, path: string): unknown[] {
  const result: unknown[] = [];
  patch.forEach((item, index) => {
    if (!isJsonObject(item)) {
      result.push(item);
    } else if (Object.hasOwn(item, DIRECTIVE)) {
      checkListDirective(item, path);
    } else {
      result.push(mergeMap({}, item, items, `${path}[${index}]`));
    }
  });
  return result;
}

/**
 * A merged list of primitives is a set: patch.go `mergeSlice` appends the patch's values,
 * removes duplicates, then orders the result (see {@link orderMerged}).
 */
function mergePrimitiveList(original: unknown[], patch: unknown[]): unknown[] {
  const merged = [...new Set([...original, ...patch])];
  return orderMerged(merged, patch, original, (item) => item);
}

/**
 * patch.go `mergeSliceWithSpecialElements` then `mergeSliceWithoutSpecialElements`: items with
 * `$patch: delete` remove every original item with their merge key, an item with
 * `$patch: replace` makes the list the patch's other items, and the remaining patch items merge
 * into the original item with the same merge key or are appended.
 */
function mergeObjectList(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  items: PatchMeta | undefined,
  path: string,
): MergedList {
  const keyOf: KeyOf = (item) => (isJsonObject(item) ? ownValue(item, mergeKey) : undefined);
  // The live list as Go's backing array shows it through the original slice header (MergedList).
  const liveView = [...original];
  let liveLength = original.length;
  let base = original;
  let replace = false;
  const plain: JsonObject[] = [];
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, DIRECTIVE)) {
      plain.push(item);
    } else if (item[DIRECTIVE] === 'delete') {
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey, path);
      const doomed = item[mergeKey];
      base = base.filter((o) => keyOf(o) !== doomed);
      // deleteMatchingEntries: append(original[:k], original[k+1:]...) shifts the tail left in place.
      for (let k = liveView.findIndex((o, i) => i < liveLength && keyOf(o) === doomed); k >= 0;) {
        liveView.copyWithin(k, k + 1, liveLength);
        liveLength--;
        k = liveView.findIndex((o, i) => i < liveLength && keyOf(o) === doomed);
      }
    } else if (item[DIRECTIVE] === 'replace') {
      replace = true;
    } else {
      checkListDirective(item, path);
    }
  }
  if (replace) {
    const list = plain.map((item, index) => mergeMap({}, item, items, `${path}[${index}]`));
    return { list, liveView };
  }

  // The original after deletions sets the order of server-only items (patch.go mergeSlice).
  const serverOrder = [...base];
  for (const item of plain) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey, path);
    const key = item[mergeKey];
    const itemPath = `${path}[${mergeKey}=${JSON.stringify(key)}]`;
    const index = base.findIndex((o) => keyOf(o) === key);
    const match = base[index];
    if (isJsonObject(match)) {
      base[index] = mergeMap(match, item, items, itemPath);
    } else {
      const added = mergeMap({}, item, items, itemPath);
      base.push(added);
      // append(original, v) lands inside the live slice's length when deletions made room.
      if (liveLength < liveView.length) liveView[liveLength] = added;
      liveLength++;
    }
  }
  return { list: orderMerged(base, plain, serverOrder, keyOf), liveView };
}

/**
 * patch.go mergeSlice "enforce the order": the items the patch names follow the patch's order,
 * the other (server-only) items keep the original's order, and the two are interleaved by
 * `mergeSortedSlice`. So a server-only item stays ahead of a patch item that came after it in the
 * original, and a new item is placed as soon as its turn in the patch comes.
 */
function orderMerged(merged: unknown[], patch: unknown[], serverOrder: unknown[], keyOf: KeyOf): unknown[] {
  const named = new Set(patch.map(keyOf));
  const patchItems = merged.filter((item) => named.has(keyOf(item)));
  const serverOnly = merged.filter((item) => !named.has(keyOf(item)));
  return normalizeElementOrder(patchItems, serverOnly, patch, serverOrder, keyOf);
}

/** patch.go `normalizeElementOrder`: sort both parts, then interleave them. */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  keyOf: KeyOf,
): unknown[] {
  const server = positions(serverOrder, keyOf);
  const left = sortByOrder(serverOnly, serverOrder, keyOf);
  const right = sortByOrder(patchItems, patchOrder, keyOf);
  // patch.go mergeSortedSlice: take the server-only item first only when both items are in the
  // server's list and it came first there; otherwise the patch item goes next.
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      result.push(left[i++]);
    } else if (i >= left.length) {
      result.push(right[j++]);
    } else {
      const li = server.get(keyOf(left[i]));
      const ri = server.get(keyOf(right[j]));
      if (li !== undefined && ri !== undefined && li < ri) result.push(left[i++]);
      else result.push(right[j++]);
    }
  }
  return result;
}

/** Stable sort by position in `order`; items not in it keep their place relative to each other. */
function sortByOrder(items: unknown[], order: unknown[], keyOf: KeyOf): unknown[] {
  const position = positions(order, keyOf);
  return [...items].sort((a, b) => {
    const pa = position.get(keyOf(a));
    const pb = position.get(keyOf(b));
    return pa !== undefined && pb !== undefined ? pa - pb : 0;
  });
}

/** Key → index of its first occurrence (patch.go `index`). */
function positions(list: unknown[], keyOf: KeyOf): Map<unknown, number> {
  const result = new Map<unknown, number>();
  list.forEach((item, index) => {
    const key = keyOf(item);
    if (!result.has(key)) result.set(key, index);
  });
  return result;
}

/**
 * patch.go `mergePatchIntoOriginal`: for each `$setElementOrder/<list>`, merges the list (if the
 * patch has it) and orders the result: items named in the directive follow its order, the others
 * keep the original's order, interleaved as in {@link normalizeElementOrder}. Returns the list
 * fields it merged, which the caller must not merge again.
 */
function applySetElementOrder(
  original: JsonObject,
  patch: JsonObject,
  meta: PatchMeta | undefined,
  path: string,
): Set<string> {
  const merged = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    if (field === '' || !Array.isArray(order)) {
      throw badRequest(
        `${at(path)}invalid patch format of setElementOrder list: ${key} must name a list field and hold a list`,
      );
    }
    const listMeta = fieldMeta(meta, field);
    // Only merged lists have an order to set; for any other field the directive means nothing.
    if (!mergesItems(listMeta)) continue;
    const listPath = child(path, field);
    const current = ownValue(original, field);
    const patchList = ownValue(patch, field);
    const hasPatchList = Array.isArray(patchList);
    if (patchList !== undefined && !hasPatchList) continue; // null or a non-list: merged as a plain field
    const originalList: unknown[] | undefined = Array.isArray(current) ? current : undefined;
    if (originalList === undefined && !hasPatchList) continue;

    const mergeKey = listMeta?.mergeKey;
    const keyOf: KeyOf = mergeKey
      ? (item) => (isJsonObject(item) ? ownValue(item, mergeKey) : undefined)
      : (item) => item;
    if (mergeKey) {
      for (const item of order) {
        if (!isJsonObject(item) || !Object.hasOwn(item, mergeKey)) {
          throw badRequest(
            `${listPath}: invalid patch format of setElementOrder list: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
          );
        }
      }
    }
    if (hasPatchList) checkPatchFollowsOrder(patchList, order, keyOf, listPath);

    const { list, liveView } = hasPatchList
      ? mergeListWithView(originalList ?? [], patchList, listMeta, listPath)
      : { list: originalList ?? [], liveView: originalList ?? [] };
    setOwn(original, field, orderMerged(list, order, liveView, keyOf));
    merged.add(field);
  }
  return merged;
}

/**
 * patch.go `validatePatchWithSetOrderList`: the patch list's items (deletions aside) must appear in
 * `$setElementOrder` and in the same relative order.
 */
function checkPatchFollowsOrder(patchList: unknown[], order: unknown[], keyOf: KeyOf, path: string): void {
  const items = patchList.filter((item) => !(isJsonObject(item) && Object.hasOwn(item, DIRECTIVE)));
  let p = 0;
  for (let s = 0; p < items.length && s < order.length; s++) {
    if (keyOf(items[p]) === keyOf(order[s])) p++;
  }
  if (p < items.length) {
    throw badRequest(
      `${path}: the order in patch list ${JSON.stringify(patchList)} doesn't match $setElementOrder list ${JSON.stringify(order)}`,
    );
  }
}

/** patch.go `applyRetainKeysDirective`: clear the original's keys not in `$retainKeys`. */
function applyRetainKeys(original: JsonObject, patch: JsonObject, path: string): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  if (!Array.isArray(list)) {
    throw badRequest(`${at(path)}invalid patch format of retainKeys: $retainKeys must be a list`);
  }
  const retained = new Set<unknown>(list);
  for (const [key, value] of Object.entries(patch)) {
    if (
      value === null ||
      key === RETAIN_KEYS ||
      key.startsWith(SET_ELEMENT_ORDER) ||
      key.startsWith(DELETE_FROM_PRIMITIVE_LIST)
    ) {
      continue;
    }
    if (!retained.has(key)) {
      // patch.go interpretStrategicMergePatchError: ErrPatchContentNotMatchRetainKeys is a 422.
      throw new ApiError(
        422,
        'Invalid',
        `${at(path)}patch content doesn't match retainKeys list: "${key}" is set by the patch but not listed in $retainKeys`,
      );
    }
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) delete original[key];
  }
}

/**
 * `$deleteFromPrimitiveList/<list>`: removes the listed values from the original list, whatever
 * the list's strategy; a list the original lacks stays absent (patch_test.go cases).
 */
function deleteFromPrimitiveList(original: JsonObject, key: string, values: unknown, path: string): void {
  const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
  if (field === '' || !Array.isArray(values)) {
    throw badRequest(
      `${at(path)}invalid patch format of primitive list: ${key} must name a list field and hold a list`,
    );
  }
  const current = ownValue(original, field);
  if (current === undefined || current === null) return;
  if (!Array.isArray(current)) {
    throw badRequest(
      `${child(path, field)}: ${key} applies to a list, but the object holds ${jsonKind(current)}`,
    );
  }
  const doomed = new Set<unknown>(values);
  setOwn(
    original,
    field,
    current.filter((item) => !doomed.has(item)),
  );
}

/** A `$patch` on a list item other than replace/delete is an error (patch.go mergeSliceWithSpecialElements). */
function checkListDirective(item: JsonObject, path: string): void {
  const directive = item[DIRECTIVE];
  if (directive === 'replace' || directive === 'delete') return;
  if (directive === 'merge') {
    throw badRequest(`${at(path)}merging lists cannot yet be specified in the patch`);
  }
  throw badRequest(
    `${at(path)}unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(item)}`,
  );
}

/**
 * What a merged list holds; patch.go `sliceElementType` rejects mixed lists and lists of lists
 * (the latter a 422, patch.go interpretStrategicMergePatchError).
 */
function elementKind(items: unknown[], path: string): 'none' | 'primitive' | 'object' {
  let kind: 'none' | 'primitive' | 'object' = 'none';
  for (const item of items) {
    if (Array.isArray(item)) {
      throw new ApiError(422, 'Invalid', `${at(path)}lists of lists are not supported`);
    }
    const itemKind = isJsonObject(item) ? 'object' : 'primitive';
    if (kind !== 'none' && kind !== itemKind) {
      throw badRequest(`${at(path)}list element types are not identical: ${JSON.stringify(items)}`);
    }
    kind = itemKind;
  }
  return kind;
}

function noMergeKey(item: JsonObject, mergeKey: string, path: string): ApiError {
  // mergepatch.ErrNoMergeKey wording.
  return badRequest(
    `${at(path)}map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
  );
}

function fieldMeta(meta: PatchMeta | undefined, key: string): PatchMeta | undefined {
  const fields = meta?.fields;
  return fields && Object.hasOwn(fields, key) ? fields[key] : undefined;
}

function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function at(path: string): string {
  return path ? `${path}: ` : '';
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}
