/**
 * What the documentation checks need of a markdown file: its headings' anchors, as GitHub makes
 * them, and its relative links. Fenced code blocks and inline code are not markdown to these
 * readers (a `# comment` in a shell block is no heading, a `[x](y)` in backquotes no link).
 */

/** The lines of a markdown file with fenced code blocks blanked, so line numbers stay right. */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line;
  });
}

/** A heading's text as GitHub renders it: inline code kept without its backquotes, links as their text. */
function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .trim();
}

/**
 * GitHub's anchor of a heading (github-slugger): lower case, everything but letters, digits,
 * marks, spaces, `-` and `_` removed, each space a `-`.
 */
export function slug(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

export interface Heading {
  level: number;
  text: string;
  anchor: string;
  line: number;
}

/** The ATX headings (`## Text`) outside code blocks, with GitHub's anchors (a repeated one gets `-1`, `-2`, …). */
export function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  return proseLines(markdown).flatMap((line, index) => {
    const match = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!match) return [];
    const base = slug(match[2]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return [{ level: match[1].length, text: headingText(match[2]), anchor: count === 0 ? base : `${base}-${count}`, line: index + 1 }];
  });
}

export interface Link {
  /** As written: `api.md#release-lines`, `#quick-start`, `docs/errors.md`. */
  target: string;
  line: number;
}

/** Inline links and images whose target is in this repository (no scheme, not protocol-relative). */
export function relativeLinks(markdown: string): Link[] {
  return proseLines(markdown).flatMap((line, index) =>
    [...line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length)).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
      .map((match) => match[1])
      .filter((target) => !/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(target))
      .map((target) => ({ target, line: index + 1 })),
  );
}
