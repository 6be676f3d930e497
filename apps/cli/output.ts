import { ApiFailure } from './errors';

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const CODES = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** Colour only for a terminal, and never when NO_COLOR (any value, https://no-color.org) or TERM=dumb. */
export function colourEnabled(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Status log states to colours: ok green, error red, pending yellow. */
export function statusColour(status: unknown): Colour | undefined {
  return status === 'ok' ? 'green' : status === 'error' ? 'red' : status === 'pending' ? 'yellow' : undefined;
}

/** `<code>: <message> (uuid)`: the uuid is what support needs to find the request. */
export function formatFailure(error: ApiFailure): string {
  return `${error.code}: ${error.message}${error.uuid ? ` (${error.uuid})` : ''}`;
}

/** Aligned columns; the last column is never padded. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => visible(row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat(widths[column] - visible(cell).length)))
      .join('  ')
      .trimEnd(),
  );
}

function visible(text: string): string {
  return text.replace(/\x1b\[\d+m/g, '');
}

export function shortTime(iso: unknown): string {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

export class Output {
  readonly colour: boolean;

  constructor(
    private readonly stdout: Stream,
    private readonly stderr: Stream,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.colour = colourEnabled(stdout, env);
  }

  paint(colour: Colour | undefined, text: string): string {
    return this.colour && colour ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  lines(texts: string[]): void {
    for (const text of texts) this.line(text);
  }

  json(value: unknown, compact = false): void {
    this.line(compact ? JSON.stringify(value) : JSON.stringify(value, null, 2));
  }

  /** Notes and warnings go to stderr so stdout stays parseable. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}
