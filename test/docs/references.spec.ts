import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { headings } from '../../tools/docs/markdown';
import { Citation, codeCitations, markdownCitations, Repository, SPEC_SECTIONS, unsharedReferences } from '../../tools/docs/references';

/**
 * Every reference to the documentation resolves: the citations in the code's comments
 * (`docs/contract.md#ordering-by-commit`: file from the repository's root, heading anchor as
 * GitHub makes it) and the relative links of README.md and docs/*.md (file and `#anchor`). Pure:
 * reads the repository's files, starts nothing.
 */
const ROOT = join(__dirname, '..', '..');
const CODE = ['apps', 'libs', 'workflows', 'tools', 'bench', 'test'];
const PRODUCT = ['apps', 'libs', 'workflows'];
const README_MAX_LINES = 250;

function gitFiles(...patterns: string[]): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...patterns], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

const repository = new Repository(ROOT);
// This file's own examples plant bad references on purpose.
const code = () => gitFiles(...CODE.map((dir) => `${dir}/*.ts`)).filter((file) => file !== 'test/docs/references.spec.ts');
const markdown = () => ['README.md', ...gitFiles('docs/*.md')];
const problems = (citations: Citation[], repo = repository) => citations.map((c) => repo.problem(c)).filter(Boolean);

describe('references to the documentation', () => {
  it('finds planted bad references, and only those (the check itself)', () => {
    const snippet = [
      '// Ordered as docs/contract.md#ordering-by-commit says; see also docs/errors.md.',
      '/** Planted: docs/contract.md#no-such-heading and docs/nowhere.md. */',
      "const data = 'docs/guide.md'; // a changed file in a push: test data, not a citation",
      'const cited = `docs/api.md#release-lines`;',
      "const planted = 'docs/contract.md#nor-this-one';",
    ].join('\n');
    const fromCode = codeCitations('libs/example.ts', snippet);
    expect(fromCode.map((c) => c.text)).toEqual([
      'docs/contract.md#ordering-by-commit',
      'docs/errors.md',
      'docs/contract.md#no-such-heading',
      'docs/nowhere.md',
      'docs/api.md#release-lines',
      'docs/contract.md#nor-this-one',
    ]);
    expect(problems(fromCode)).toEqual([
      'libs/example.ts:2: docs/contract.md#no-such-heading: no heading #no-such-heading in docs/contract.md',
      'libs/example.ts:2: docs/nowhere.md: no file docs/nowhere.md',
      'libs/example.ts:5: docs/contract.md#nor-this-one: no heading #nor-this-one in docs/contract.md',
    ]);

    const page = [
      '# A page',
      '[fine](contract.md#release-lines), [itself](#the-api), [up](../README.md#quick-start), [web](https://example.com/x.md)',
      '[planted](nowhere.md) and [planted](api.md#nowhere), `[in code](nowhere.md)`',
      '```md',
      '[in a code block](nowhere.md)',
      '```',
    ].join('\n');
    const fromPage = markdownCitations('docs/api.md', page);
    expect(fromPage.map((c) => c.text)).toEqual([
      'contract.md#release-lines',
      '#the-api',
      '../README.md#quick-start',
      'nowhere.md',
      'api.md#nowhere',
    ]);
    // Files and anchors are looked up in the repository: `#the-api` is docs/api.md's title.
    expect(problems(fromPage)).toEqual([
      'docs/api.md:3: nowhere.md: no file docs/nowhere.md',
      'docs/api.md:3: api.md#nowhere: no heading #nowhere in docs/api.md',
    ]);
  });

  it("makes anchors as GitHub does (punctuation dropped, spaces to '-', repeats numbered)", () => {
    const page =
      '# Operations\n## Connecting to a secured Temporal (mTLS, Temporal Cloud)\n## The soak — `npm run test:soak`\n## Retention\n### Retention\n';
    expect(headings(page).map((h) => h.anchor)).toEqual([
      'operations',
      'connecting-to-a-secured-temporal-mtls-temporal-cloud',
      'the-soak--npm-run-testsoak',
      'retention',
      'retention-1',
    ]);
  });

  it(`resolves every documentation citation in ${CODE.join('/, ')}/`, () => {
    const citations = code().flatMap((file) => codeCitations(file, repository.read(file)));
    expect(citations.length).toBeGreaterThan(20);
    expect(problems(citations)).toEqual([]);
  });

  it('resolves every relative link of README.md and docs/*.md, file and heading', () => {
    const citations = markdown().flatMap((file) => markdownCitations(file, repository.read(file)));
    expect(citations.length).toBeGreaterThan(20);
    expect(problems(citations)).toEqual([]);
  });

  it('gives each heading of docs/contract.md an anchor of its own (code cites them)', () => {
    const anchors = headings(repository.read('docs/contract.md')).map((h) => h.anchor);
    expect(anchors.filter((anchor, index) => anchors.indexOf(anchor) !== index)).toEqual([]);
  });

  it(`keeps README.md to ${README_MAX_LINES} lines: the front door, not the manual`, () => {
    expect(repository.read('README.md').trimEnd().split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('cites no section of the spec in README.md and docs/*.md (docs/contract.md is the contract)', () => {
    const found = markdown().flatMap((file) => unsharedReferences(file, repository.read(file), [SPEC_SECTIONS]));
    expect(found).toEqual([]);
  });

  it('finds mentions of the spec and the work history (the check below)', () => {
    expect(unsharedReferences('x.ts', '// (SPEC 6.2)\n// Issue 18, finding 4: …\n// issues 16 and 18\n// a SPECIFIC issue')).toHaveLength(
      3,
    );
  });

  // A reader of the repository has neither the specification it was built from nor its issues:
  // comments cite docs/ (docs/contract.md for the product's promises).
  it(`cites neither the spec nor the work history in ${PRODUCT.join('/, ')}/`, () => {
    const files = gitFiles(...PRODUCT.map((dir) => `${dir}/*.ts`));
    expect(files.flatMap((file) => unsharedReferences(file, repository.read(file)))).toEqual([]);
  });
});
