/**
 * JSON Merge Patch (RFC 7386), what kube-apiserver applies for `application/merge-patch+json`
 * (k8s.io/apiserver `pkg/endpoints/handlers/patch.go` calls evanphx/json-patch `MergePatch`).
 */

/** A JSON object: not null, not an array. */
export type JsonObject = Record<string, unknown>;

/** Whether `value` is a JSON object (a plain `{...}`, not null and not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `obj[key]` if `key` is an own member; never reads through the prototype (`__proto__`). */
export function ownValue(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets `obj[key]` as an own data member, so a `__proto__` key in a body cannot touch a prototype. */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Applies an RFC 7386 merge patch to `target` and returns the result; neither input is changed and
 * the result shares no objects with them.
 *
 * RFC 7386 §2: a patch that is not an object replaces the target; otherwise each member of the
 * patch is merged into the target (a non-object target counts as `{}`), `null` removes the member,
 * objects merge recursively and every other value (arrays included) replaces.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  return mergeInto(structuredClone(target), patch);
}

/** Merges `patch` into `target`, which the caller owns (it is changed in place when an object). */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const result: JsonObject = isJsonObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      // RFC 7386: Target[Name] = MergePatch(Target[Name], Value). A new member is merged into `{}`,
      // which also drops the nulls nested inside it.
      setOwn(result, key, mergeInto(ownValue(result, key), value));
    }
  }
  return result;
}
