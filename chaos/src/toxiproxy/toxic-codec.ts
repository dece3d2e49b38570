/**
 * Toxics to and from the API's JSON, in the order and with the checks of Shopify/toxiproxy
 * `toxic_collection.go` (`AddToxicJson`, `UpdateToxicJson`): defaults `stream: downstream`,
 * `toxicity: 1`, name `<type>_<stream>`; then stream, type, duplicate name, attributes.
 */
import {
  ApiError,
  ErrBadRequestBody,
  ErrInvalidStream,
  ErrInvalidToxicType,
  ErrToxicAlreadyExists,
} from './api-error.ts';
import {
  asObject,
  field,
  float32Field,
  float32Json,
  intField,
  jsonKind,
  stringField,
  type JsonObject,
} from './go-json.ts';
import type { Attributes, StreamDirection, ToxicKind, ToxicWrapper } from './toxic-kind.ts';
import { TOXIC_KINDS } from './toxics/registry.ts';

/** stream/direction.go `ParseDirection`: case-insensitive. */
export function parseDirection(stream: string): StreamDirection | undefined {
  switch (stream.toLowerCase()) {
    case 'upstream':
      return 'upstream';
    case 'downstream':
      return 'downstream';
    default:
      return undefined;
  }
}

/**
 * A new toxic from a request body. `exists` says whether a toxic of that name is on the proxy
 * already (checked before the attributes, as Go does).
 */
export function decodeNewToxic(body: unknown, exists: (name: string) => boolean): ToxicWrapper {
  const obj = asObject(body, 'toxics.ToxicWrapper');
  const stream = stringField(obj, 'ToxicWrapper', 'stream', 'downstream');
  const toxicity = float32Field(obj, 'ToxicWrapper', 'toxicity', 1);
  const type = stringField(obj, 'ToxicWrapper', 'type', '');
  let name = stringField(obj, 'ToxicWrapper', 'name', '');
  const direction = parseDirection(stream);
  if (direction === undefined) throw ErrInvalidStream;
  if (name === '') name = `${type}_${stream}`;
  const kind = TOXIC_KINDS.get(type);
  if (kind === undefined) throw ErrInvalidToxicType;
  if (exists(name)) throw ErrToxicAlreadyExists;
  const attributes = decodeAttributes(kind, field(obj, 'attributes'), defaults(kind));
  return { name, type, stream, direction, toxicity, attributes, kind };
}

/**
 * The toxic after an update: only `attributes` (merged over the current ones, as Go decodes into
 * a copy of the live struct) and `toxicity` change; name, type and stream stay.
 */
export function decodeToxicUpdate(current: ToxicWrapper, body: unknown): ToxicWrapper {
  const obj = asObject(body, 'toxics.ToxicWrapper');
  const toxicity = float32Field(obj, 'ToxicWrapper', 'toxicity', current.toxicity);
  const attributes = decodeAttributes(current.kind, field(obj, 'attributes'), current.attributes);
  return { ...current, toxicity, attributes };
}

function defaults(kind: ToxicKind): Attributes {
  const out: Record<string, number> = {};
  for (const name of Object.keys(kind.fields)) out[name] = 0;
  return out;
}

function decodeAttributes(kind: ToxicKind, raw: unknown, base: Attributes): Attributes {
  if (raw === undefined || raw === null) return base;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw ApiError.join(
      `json: cannot unmarshal ${jsonKind(raw)} into Go struct field ToxicWrapper.attributes of type *toxics.${kind.goStruct}`,
      ErrBadRequestBody,
    );
  }
  const obj = raw as JsonObject;
  const out: Record<string, number> = { ...base };
  for (const [name, goType] of Object.entries(kind.fields)) {
    out[name] = intField(obj, `${kind.goStruct}.attributes`, name, base[name] ?? 0, goType);
  }
  return out;
}

/** The JSON of a toxic, fields in Go's order: attributes, name, type, stream, toxicity. */
export function toxicJson(toxic: ToxicWrapper): {
  attributes: Attributes;
  name: string;
  type: string;
  stream: string;
  toxicity: number;
} {
  return {
    attributes: toxic.attributes,
    name: toxic.name,
    type: toxic.type,
    stream: toxic.stream,
    toxicity: float32Json(toxic.toxicity),
  };
}
