/**
 * Proxy fields from request bodies, as api.go (`ProxyCreate`, `ProxyUpdate`) and
 * proxy_collection.go (`PopulateJson`) decode them: `enabled` defaults to true on creation and
 * to the current value on update; `name` and `upstream` are required.
 */
import { ApiError, ErrBadRequestBody, ErrMissingField } from './api-error.ts';
import { asObject, boolField, jsonKind, stringField, type JsonObject } from './go-json.ts';

export type ProxyInput = { name: string; listen: string; upstream: string; enabled: boolean };

function fields(obj: JsonObject, defaults: ProxyInput): ProxyInput {
  return {
    name: stringField(obj, 'Proxy', 'name', defaults.name),
    listen: stringField(obj, 'Proxy', 'listen', defaults.listen),
    upstream: stringField(obj, 'Proxy', 'upstream', defaults.upstream),
    enabled: boolField(obj, 'Proxy', 'enabled', defaults.enabled),
  };
}

/** `POST /proxies`. */
export function decodeProxyCreate(body: unknown): ProxyInput {
  const input = fields(asObject(body, 'toxiproxy.Proxy'), {
    name: '',
    listen: '',
    upstream: '',
    enabled: true,
  });
  if (input.name === '') throw ApiError.join('name', ErrMissingField);
  if (input.upstream === '') throw ApiError.join('upstream', ErrMissingField);
  return input;
}

/** `POST|PATCH /proxies/{proxy}`: unspecified fields keep their values; the name cannot change. */
export function decodeProxyUpdate(current: ProxyInput, body: unknown): ProxyInput {
  return { ...fields(asObject(body, 'toxiproxy.Proxy'), current), name: current.name };
}

/** `POST /populate` and the -config file: an array, every entry checked before any is applied. */
export function decodePopulate(body: unknown): ProxyInput[] {
  if (body === null) return []; // Go decodes null into an empty slice
  if (!Array.isArray(body)) {
    throw ApiError.join(
      `json: cannot unmarshal ${jsonKind(body)} into Go value of type []toxiproxy.Proxy`,
      ErrBadRequestBody,
    );
  }
  const inputs = body.map((entry: unknown) =>
    fields(asObject(entry, 'toxiproxy.Proxy'), { name: '', listen: '', upstream: '', enabled: true }),
  );
  inputs.forEach((input, i) => {
    if (input.name === '') throw ApiError.join(`name at proxy ${i + 1}`, ErrMissingField);
    if (input.upstream === '') throw ApiError.join(`upstream at proxy ${i + 1}`, ErrMissingField);
  });
  return inputs;
}
