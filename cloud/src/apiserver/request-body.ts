/**
 * Reading and decoding request bodies: a size limit (413), then JSON, YAML or Kubernetes
 * protobuf by Content-Type. Anything malformed becomes a 400 naming what is wrong and where.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { badRequest, tooLarge, unsupportedMediaType } from './status.ts';
import { decodeKubernetesProtobuf } from './protobuf.ts';

/** kube-apiserver's default limit for a request body is 3 MiB (apiserver MaxRequestBodyBytes). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Media type without parameters, lower-cased. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Decodes an object body (POST/PUT) or a patch body by its Content-Type. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const media = mediaTypeOf(contentType);
  if (media === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(body);
  if (body.length === 0) throw badRequest('the request body is empty');
  const text = body.toString('utf8');
  switch (media) {
    case '':
    case 'application/json':
    case 'application/json-patch+json':
    case 'application/merge-patch+json':
    case 'application/strategic-merge-patch+json':
      return parseJson(text);
    case 'application/yaml':
    case 'application/apply-patch+yaml':
      return parseYamlText(text);
    default:
      throw unsupportedMediaType(media, 'send application/json');
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseYamlText(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw badRequest(`the request body is not valid YAML${where}: ${(err as Error).message}`);
  }
}
