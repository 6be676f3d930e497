/**
 * The cost curves as SVG line charts in docs/, written by hand (no chart library):
 * `node dist/bench/charts.js [bench/results/<run>.json]` (the newest run without an argument);
 * `npm run bench` writes them at its end. The x axes are logarithmic: every curve spans decades.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../tools/stack';

interface Series {
  name: string;
  points: Array<[number, number]>;
}

interface Chart {
  file: string;
  title: string;
  x: string;
  y: string;
  series: Series[];
}

const W = 560;
const H = 320;
const M = { left: 64, right: 150, top: 36, bottom: 48 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1_000 ? `${n / 1_000}k` : String(Math.round(n * 100) / 100));

/** One chart as an SVG document: log x, linear y from 0, a legend at the right. */
export function svg(chart: Chart): string {
  const all = chart.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && x > 0);
  const xs = [...new Set(all.map(([x]) => x))].sort((a, b) => a - b);
  const [x0, x1] = [Math.log10(xs[0] ?? 1), Math.log10(xs.at(-1) ?? 10)];
  const yMax = niceMax(Math.max(1e-9, ...all.map(([, y]) => y)));
  const px = (x: number) => M.left + (x1 === x0 ? 0.5 : (Math.log10(x) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - M.right / 2 + M.left / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${label(y)}</text>`,
    );
  }
  for (const x of xs)
    parts.push(
      `<line x1="${px(x)}" x2="${px(x)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#333"/>`,
      `<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle">${label(x)}</text>`,
    );
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(chart.x)}</text>`,
    `<text x="14" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${esc(chart.y)}</text>`,
  );
  chart.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && x > 0);
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of points)
      parts.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${colour}"><title>${label(x)}: ${label(y)}</title></circle>`,
      );
    const ly = M.top + 10 + i * 18;
    parts.push(
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${W - M.right + 36}" y="${ly + 4}">${esc(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function niceMax(value: number): number {
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

/** The charts a run's raw numbers allow (a benchmark not run draws nothing). */
export function charts(raw: any): Chart[] {
  const out: Chart[] = [];
  const curve = raw.intake?.curve as Array<{ concurrency: number; gateway: number; bare: number }> | undefined;
  if (curve) {
    out.push({
      file: 'perf-intake.svg',
      title: 'Intake: accepted pushes/s',
      x: 'concurrent callers',
      y: 'pushes/s',
      series: [
        { name: 'gateway', points: curve.map((p) => [p.concurrency, p.gateway]) },
        { name: 'bare signalWithStart', points: curve.map((p) => [p.concurrency, p.bare]) },
      ],
    });
  }
  const deployments = raw.overhead?.curve as Array<Record<string, number>> | undefined;
  if (deployments) {
    out.push({
      file: 'perf-deployments.svg',
      title: 'Deployments/s (1 MB each)',
      x: 'concurrent deployments',
      y: 'deployments/s',
      series: [
        { name: 'deployments', points: deployments.map((p) => [p.concurrent, p.perSecond]) },
        { name: 'skeleton', points: deployments.map((p) => [p.concurrent, p.skeletonPerSecond]) },
      ],
    });
    out.push({
      file: 'perf-worker-rss.svg',
      title: 'Worker RSS per running deployment',
      x: 'concurrent deployments',
      y: 'MB per deployment',
      series: [{ name: 'worker', points: deployments.map((p) => [p.concurrent, p.workerRssPerDeploymentMb]) }],
    });
  }
  const status = raw.status?.points as Array<{ entries: number; direct: { p99: number }; gateway: { p99: number } }> | undefined;
  if (status) {
    out.push({
      file: 'perf-status.svg',
      title: 'Status query p99 (limit=10&skip=20)',
      x: 'entries in the status log',
      y: 'p99 ms',
      series: [
        { name: 'gateway', points: status.map((p) => [p.entries, p.gateway.p99]) },
        { name: 'driver query', points: status.map((p) => [p.entries, p.direct.p99]) },
      ],
    });
  }
  const feed = raw.feed?.points as
    Array<{ clients: number; feed: { p99: number }; direct: { p99: number }; rssPerClientKb: number }> | undefined;
  if (feed) {
    out.push({
      file: 'perf-feed.svg',
      title: 'Feed: insert → arrival p99',
      x: 'NDJSON clients on one gateway',
      y: 'p99 ms',
      series: [
        { name: 'feed', points: feed.map((p) => [p.clients, p.feed.p99]) },
        { name: 'raw change stream', points: feed.map((p) => [p.clients, p.direct.p99]) },
      ],
    });
    out.push({
      file: 'perf-gateway-rss.svg',
      title: 'Gateway RSS per feed client',
      x: 'NDJSON clients on one gateway',
      y: 'kB per client',
      series: [{ name: 'gateway', points: feed.map((p) => [p.clients, p.rssPerClientKb]) }],
    });
  }
  return out;
}

/** Writes the charts of a run into docs/; answers the files written. */
export function writeCharts(raw: unknown, dir = join(repoRoot, 'docs')): string[] {
  return charts(raw).map((chart) => {
    const file = join(dir, chart.file);
    writeFileSync(file, svg(chart));
    return file;
  });
}

if (require.main === module) {
  const results = join(repoRoot, 'bench', 'results');
  const file =
    process.argv[2] ??
    join(
      results,
      readdirSync(results)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .at(-1)!,
    );
  console.log(writeCharts(JSON.parse(readFileSync(file, 'utf8')).raw).join('\n'));
}
