import { productFiles, SourceFile } from './product-sources';

/**
 * Workflow ids are built in one module, libs/deployments/workflow-ids.ts: an id built anywhere
 * else can drift from the one a redelivery, a retry or the other process builds, and then start
 * a second workflow for one deployment. Pure: reads the repository's files.
 */
const IDS_MODULE = 'libs/deployments/workflow-ids.ts';
const PREFIX = '(?:deployment|line|undeploy|release|notification|preview)/';
const SUFFIX = '/(?:app/|retry-|again-|redeliver-)';
const BUILDS: Array<[RegExp, string]> = [
  [new RegExp('`' + PREFIX + '[^`]*\\$\\{'), 'a template literal builds a workflow id'],
  [new RegExp('\\$\\{[^}]*\\}' + SUFFIX + '\\$\\{'), 'a template literal builds a workflow id'],
  [new RegExp(`(['"])${PREFIX}[^'"]*\\1\\s*\\+`), 'string concatenation builds a workflow id'],
  [new RegExp(`\\+\\s*(['"])${SUFFIX}`), 'string concatenation builds a workflow id'],
  [new RegExp(`(['"])${PREFIX}\\1`), 'a workflow id prefix outside the ids module'],
];

/** "libs/x.ts:12: a template literal builds a workflow id: `undeploy/${user}`" for each line of `file` that builds one. */
export function workflowIdsBuilt(file: SourceFile): string[] {
  if (file.path === IDS_MODULE) return [];
  return file.text.split('\n').flatMap((line, index) => {
    const found = BUILDS.find(([pattern]) => pattern.test(line));
    return found ? [`${file.path}:${index + 1}: ${found[1]}: ${line.trim()}`] : [];
  });
}

describe('layout: workflow ids come from libs/deployments/workflow-ids.ts alone', () => {
  it('finds the ids it looks for (the check itself)', () => {
    const planted = [
      'const a = `undeploy/${user}/${app}`;',
      'const b = `release/${user}/${app}/${cause}/${uuid}`;',
      'const c = `${first}/again-${attempt - 1}`;',
      "const d = 'line/' + user + '/' + app;",
      "const e = base + '/retry-' + n;",
      "if (workflowId.startsWith('undeploy/')) return;",
      // Not workflow ids: an example in the API's description, a URL, a Temporal UI link.
      "workflowId: { type: 'string', example: 'deployment/alice/octo-org/app/0123…' },",
      'const f = `/1/apps/${user}/${app}/undeploy`;',
      'const g = `${uiUrl}/namespaces/${namespace}/workflows/${id}`;',
    ].join('\n');
    const found = workflowIdsBuilt({ path: 'libs/releases/planted.ts', text: planted });
    expect(found.map((line) => line.split(':')[1])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(found[0]).toBe('libs/releases/planted.ts:1: a template literal builds a workflow id: const a = `undeploy/${user}/${app}`;');
    expect(workflowIdsBuilt({ path: IDS_MODULE, text: planted })).toEqual([]);
  });

  it('no file under apps/ or libs/ but the ids module builds a workflow id', () => {
    const files = productFiles(['apps', 'libs']);
    expect(files.some((file) => file.path === IDS_MODULE)).toBe(true);
    expect(files.flatMap(workflowIdsBuilt)).toEqual([]);
  });
});
