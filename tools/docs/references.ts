import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import * as ts from 'typescript';
import { headings, relativeLinks } from './markdown';

/**
 * Citations of the documentation, and whether they resolve. The format a comment uses is the
 * file from the repository's root and, for a section, GitHub's anchor of its heading:
 * `docs/contract.md#ordering-by-commit`. Markdown files link as markdown does, relative to
 * themselves: `[Release lines](api.md#release-lines)`.
 */

export interface Citation {
  /** Repository-relative path of the file that cites. */
  from: string;
  line: number;
  /** Repository-relative path of the cited file. */
  file: string;
  anchor?: string;
  /** As written, for the report. */
  text: string;
}

/** `docs/….md` or `README.md` at the start of a path, optionally with `#anchor`. */
const CITATION = /(?<![\w./-])((?:docs\/[\w./-]*|README)\.md)(#[\w-]+)?/g;

/**
 * The citations in a TypeScript file: every one in a comment, and those with an anchor in a
 * string (a markdown file's name alone in a string is as likely test data: a path a push changed).
 */
export function codeCitations(from: string, text: string): Citation[] {
  const source = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: Citation[] = [];
  const seen = new Set<number>();
  const scan = (start: number, body: string, anchoredOnly: boolean) => {
    for (const match of body.matchAll(CITATION)) {
      if (anchoredOnly && !match[2]) continue;
      const line = source.getLineAndCharacterOfPosition(start + match.index).line + 1;
      found.push({ from, line, file: match[1], anchor: match[2]?.slice(1), text: match[0] });
    }
  };
  const comments = (ranges: ts.CommentRange[] | undefined) => {
    for (const range of ranges ?? []) {
      if (seen.has(range.pos)) continue;
      seen.add(range.pos);
      scan(range.pos, text.slice(range.pos, range.end), false);
    }
  };
  const visit = (node: ts.Node) => {
    comments(ts.getLeadingCommentRanges(text, node.getFullStart()));
    comments(ts.getTrailingCommentRanges(text, node.getEnd()));
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
      scan(node.getStart(source), node.getText(source), true);
    ts.forEachChild(node, visit);
  };
  visit(source);
  comments(ts.getLeadingCommentRanges(text, source.endOfFileToken.getFullStart()));
  return found.sort((a, b) => a.line - b.line);
}

/** The relative links of a markdown file, resolved against it (`#x` alone: the file itself). */
export function markdownCitations(from: string, markdown: string): Citation[] {
  return relativeLinks(markdown).map(({ target, line }) => {
    const [path, anchor] = target.split('#', 2);
    const file = path === '' ? from : normalize(join(dirname(from), decodeURIComponent(path)));
    return { from, line, file, anchor: anchor || undefined, text: target };
  });
}

/** Reads repository files once per check. */
export class Repository {
  private readonly anchors = new Map<string, Set<string>>();

  constructor(readonly root: string) {}

  read(file: string): string {
    return readFileSync(join(this.root, file), 'utf8');
  }

  exists(file: string): boolean {
    return !relative(this.root, join(this.root, file)).startsWith('..') && existsSync(join(this.root, file));
  }

  anchorsOf(file: string): Set<string> {
    let found = this.anchors.get(file);
    if (!found) {
      found = new Set(headings(this.read(file)).map((heading) => heading.anchor));
      this.anchors.set(file, found);
    }
    return found;
  }

  /** Why a citation does not resolve, or undefined when it does. */
  problem(citation: Citation): string | undefined {
    const where = `${citation.from}:${citation.line}: ${citation.text}`;
    if (!this.exists(citation.file)) return `${where}: no file ${citation.file}`;
    if (citation.anchor === undefined) return undefined;
    if (!citation.file.endsWith('.md') || statSync(join(this.root, citation.file)).isDirectory())
      return `${where}: an anchor into ${citation.file}, which is not a markdown file`;
    if (!this.anchorsOf(citation.file).has(citation.anchor)) return `${where}: no heading #${citation.anchor} in ${citation.file}`;
    return undefined;
  }
}

/** Mentions of documents and history a reader of the repository does not have. */
export const SPEC_SECTIONS = { what: 'the spec (cite docs/contract.md)', pattern: /\bSPEC \d/g };
export const WORK_HISTORY = {
  what: 'the work history (say what the code does, or cite the docs that write it up)',
  pattern: /\b[Ii]ssues? \d+\b/g,
};
export const UNSHARED_REFERENCES: ReadonlyArray<{ what: string; pattern: RegExp }> = [SPEC_SECTIONS, WORK_HISTORY];

/** Each line of `text` that mentions the spec or the work history. */
export function unsharedReferences(from: string, text: string, kinds = UNSHARED_REFERENCES): string[] {
  return text
    .split('\n')
    .flatMap((line, index) =>
      kinds.flatMap(({ what, pattern }) => [...line.matchAll(pattern)].map((match) => `${from}:${index + 1}: "${match[0]}" cites ${what}`)),
    );
}
