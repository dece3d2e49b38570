/**
 * Reading YAML with positions: each document comes with an IssueList that turns a field path into
 * the line it sits on (yaml's LineCounter), so validation errors can say `file:line: field: …`.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { errorMessage, InvalidInputError } from '@edgeproof/core';
import { ConfigError, IssueList, type FieldPath, type SourcePosition } from './config-error.ts';

/** One YAML document of a file: its plain value and a place to record problems with lines. */
export type YamlDocument = { value: unknown; issues: IssueList; index: number };

/** Reads every document of `file`. @throws InvalidInputError when unreadable, ConfigError when not YAML. */
export function readYamlFile(file: string): YamlDocument[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`${file}: cannot read the file: ${errorMessage(err)}`, { cause: err });
  }
  return parseYamlText(text, file);
}

/** Parses YAML text; `source` names it in errors. @throws ConfigError on a syntax error. */
export function parseYamlText(text: string, source: string): YamlDocument[] {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const syntax = new IssueList(source);
  for (const doc of docs) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      syntax.addIssue({
        source,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        field: '',
        message: `not valid YAML: ${err.message.split('\n')[0] ?? err.message}`,
      });
    }
  }
  syntax.throwIfAny();
  const out: YamlDocument[] = [];
  docs.forEach((doc, index) => {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    // An empty document (a trailing `---`) holds nothing to validate.
    if (value === null || value === undefined) return;
    const locate = (path: FieldPath): SourcePosition | undefined => positionOf(doc, path, lineCounter);
    out.push({ value, issues: new IssueList(source, locate), index });
  });
  if (out.length === 0) throw new ConfigError([{ source, field: '', message: 'holds no YAML document' }]);
  return out;
}

/** The position of the deepest existing node on `path` (a missing field points at its parent). */
function positionOf(doc: Document.Parsed, path: FieldPath, lines: LineCounter): SourcePosition | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return undefined;
}
