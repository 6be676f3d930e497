import { statfs } from 'node:fs/promises';

export interface ExtractionLimits {
  deployDir: string;
  maxConcurrent: number;
  maxExtractedBytes: number;
  maxCompressionRatio: number;
  minFreeDiskBytes: number;
}

export interface Allowance {
  /** The most bytes this package may extract. */
  maxBytes: number;
  /** Which bound set maxBytes, quoted when a package exceeds it. */
  reason: string;
  release(): void;
}

/**
 * What extracting packages may take from the machine: at most `maxConcurrent` packages at once
 * (the others wait), and per package the fewest bytes of the receiver's cap, a compression
 * ratio over the package's archives (a 4 MB gzip bomb stops at 400 MB, not 4 GiB), and the
 * free disk of the deploy directory that is neither kept in reserve nor promised to a package
 * already extracting.
 */
export class ExtractionBudget {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private promised = 0;

  constructor(private readonly limits: ExtractionLimits) {}

  /** Resolves with a release function once a slot is free; `onWait` runs first when there is none. */
  async slot(onWait: () => Promise<void>): Promise<() => void> {
    if (this.active < this.limits.maxConcurrent) {
      this.active += 1;
    } else {
      // The slot is handed over by release(), so `active` already counts this package.
      const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
      await onWait();
      await turn;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    };
  }

  /** Checks the disk and promises this package its bytes until release(). */
  async allowance(archiveBytes: number): Promise<Allowance> {
    const { maxExtractedBytes, maxCompressionRatio, minFreeDiskBytes } = this.limits;
    const disk = await statfs(this.limits.deployDir);
    const free = disk.bavail * disk.bsize;
    const spare = free - minFreeDiskBytes - this.promised;
    if (spare <= 0) {
      throw new Error(
        `not enough free disk space to extract: ${free} bytes free, of which the receiver keeps ${minFreeDiskBytes} in reserve and has promised ${this.promised} to packages in progress`,
      );
    }
    const bounds: Array<[number, string]> = [
      [maxExtractedBytes, "the receiver's limit per package"],
      [maxCompressionRatio * archiveBytes, `${maxCompressionRatio} times the archives' ${archiveBytes} bytes`],
      [spare, 'the free space left on the deploy disk'],
    ];
    const [maxBytes, reason] = bounds.reduce((least, bound) => (bound[0] < least[0] ? bound : least));
    this.promised += maxBytes;
    let released = false;
    return {
      maxBytes,
      reason,
      release: () => {
        if (!released) this.promised -= maxBytes;
        released = true;
      },
    };
  }
}
