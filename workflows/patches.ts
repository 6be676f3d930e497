/**
 * Every patch id of the workflows, in the order they were added (all of them the deployment's,
 * which the undeployment type runs too). A workflow started before a change replays the code it
 * started with: replaying, `patched(id)` is true where the run recorded the id's marker, false
 * where it did not; running live it is true and records the marker (docs/operations.md#upgrading).
 *
 * Retiring one is two releases of work (docs/architecture.md#the-deployment-workflow):
 * 1. `deprecatePatch(id)` and the new branch alone may replace `if (patched(id)) … else …` once
 *    no workflow started before the release that added it can be replayed: none still running
 *    (`temporal workflow list --query "WorkflowType IN ('deployment','undeployment') AND
 *    ExecutionStatus='Running' AND StartTime < '<when that release's workers took over>'"`
 *    finds none) and none closed within the namespace's retention (a query or reset of a closed
 *    run replays it). The recorded histories without its marker leave test/histories in the same
 *    change (`lacking` below names them), since they would no longer replay.
 * 2. The `deprecatePatch` call itself goes once no run started before step 1 can be replayed.
 *
 * `Since`: the release whose workers first wrote the marker; `lacking`: the recorded histories of
 * runs started before it (where they reach the patch, they take the old branch).
 */

/**
 * The app's release line orders and admits the deployment: it joins the line once its app is
 * known, says when it is ready, waits its turn (the `queued` step) and leaves at its end; the end
 * runs in a non-cancellable scope, so a cancel through Temporal still ends it cleanly
 * (`deploy:canceled`), bookkeeping that fails after the outcome never changes it, and an UNDEPLOY
 * sets no commit status. Since v0.2.0; lacking: v0.1.0/*.
 */
export const RELEASE_LINE_PATCH = 'release-line';

/**
 * The CI gate asks which gates apply (`ciGates`: Travis, GitHub checks, both) and waits for
 * GitHub checks too; before it, `ciGate` asked about Travis alone. Since v0.2.0; lacking:
 * v0.1.0/*, v0.2.0/{deployment-canceled,-no-pkg-json,-succeeded,-travis-failed,-travis-passed},
 * v0.2.0/undeployment.
 */
export const GITHUB_CHECKS_PATCH = 'github-checks';

/**
 * Each deployment is a GitHub deployment (created at resolve, a status at upload and at the end).
 * Since v0.2.0; lacking: as `github-checks`.
 */
export const GITHUB_DEPLOYMENTS_PATCH = 'github-deployments';

/**
 * The status log is written exactly once: a numbered write completes even when the pipeline is
 * canceled meanwhile (non-cancellable), and the `done` entry is a regular activity, not a local
 * one (workflows/deployment/status-log.ts says why). Since v0.2.0; lacking: as `github-checks`.
 */
export const STATUS_LOG_PATCH = 'status-log-exactly-once';

/**
 * A timed-out inspection fails with `deploy:tar:timeout` instead of `deploy:tar:corrupt`. Its
 * marker is written only when an inspection times out, so no recorded history holds it (a timeout
 * cannot be brought about on the real stack on demand). Since v0.2.0; lacking: as `github-checks`
 * (none of them timed out, so none reaches it).
 */
export const INSPECT_TIMEOUT_PATCH = 'inspect-timeout';

/**
 * The app's subscribers are notified (queued, started, the end, rolled back), each event by its
 * own delivery workflow started from a local activity. Since v0.2.0; lacking: as `github-checks`,
 * and v0.2.0/deployment-rollback-{kept,refetched}. (An UNDEPLOY, or a deployment that ends before
 * its app is known, notifies nobody and never writes the marker.)
 */
export const NOTIFICATIONS_PATCH = 'notifications';

/**
 * A push's deployment logs `received` before any end, even an end signalled before its first
 * workflow task ran: a retried first task could otherwise number `done` 1, the number its dead
 * first attempt had written `received` under. Since v0.3.0; lacking: v0.1.0/*, v0.2.0/*.
 */
export const RECEIVED_FIRST_PATCH = 'received-before-any-end';

/**
 * The short steps and the tarball's no longer cap their attempts in the
 * workflow: the worker's activity wrapper ends a step's own failures at its attempts
 * (workflows/step-attempts.ts, the numbers the cap had) and retries a store failure until the
 * store outage tolerance has passed since the step was scheduled
 * (docs/reliability.md#store-failures-inside-a-step). Only the retry policy of those calls
 * changed; the marker is written at the first such call. Since v0.4.0; lacking: v0.1.0/*,
 * v0.2.0/*, v0.3.0/*. deprecatePatch may replace it once no run started before v0.4.0 can be
 * replayed.
 */
export const STORE_OUTAGE_PATCH = 'store-outage-tolerance';

/**
 * An UNDEPLOY names what it removes at its turn, not when it was asked: the app's live deployment
 * then (`liveDeployment`, which also sets the record's commit to that deployment's), in the package
 * and in the status log; asked while the app's deployment was still finishing, it once named none
 * and commit `none` (docs/contract.md#undeploy). Since v0.4.0; lacking: v0.1.0/*, v0.2.0/*,
 * v0.3.0/*. deprecatePatch may replace it once no run started before v0.4.0 can be replayed.
 */
export const UNDEPLOY_AT_TURN_PATCH = 'undeploy-names-at-turn';

/**
 * The search attributes `DeployStep` and `DeployState` are upserted when an entry changes them,
 * not at every status entry: a step's `ok` after its `pending`, and each `processing` change, no
 * longer add an event to the history (docs/performance.md#the-raw-work-baseline). The marker is
 * written at the first entry that changes neither. Since v0.5.0; lacking: v0.1.0/*, v0.2.0/*,
 * v0.3.0/*, v0.4.0/*.
 */
export const SEARCH_ATTRIBUTES_PER_STEP_PATCH = 'search-attributes-per-step';

/**
 * A rollback of a release whose files the receiver retains (the input's `release.activates`)
 * sends an ACTIVATE package (`activateRelease`, step `activating`) instead of fetching and
 * uploading its tarball; a receiver that lacks the release (or refuses the operation) gets the
 * tarball uploaded after all, under the package `_doc` `<deployment id>-upload`
 * (docs/contract.md#activate). Runs started before have no `activates` and never reach the
 * marker. Since v0.5.0; lacking: v0.1.0/*, v0.2.0/*, v0.3.0/*, v0.4.0/*.
 */
export const ACTIVATE_RELEASE_PATCH = 'activate-release';

/**
 * A deployment of an app with an approval rule waits after inspect, before its line, in step
 * `awaiting_approval` until enough reviewers approve (the `approve` and `reject` Updates), one
 * rejects, or the rule's timeout passes (docs/contract.md#approvals). Its marker is written only
 * by deployments of such apps. Since v0.5.0; lacking: v0.1.0/*, v0.2.0/*, v0.3.0/*, v0.4.0/*.
 */
export const APPROVALS_PATCH = 'approvals';

/**
 * A deployment of an app with deploy windows or freezes waits after its approval, before its
 * line, in step `waiting_for_window` until the next opening (a durable timer; the opening is
 * computed by the `deployWindow` activity) or a `deploy-now` Update (docs/contract.md#deploy-windows-and-freezes).
 * Its marker is written only by deployments of such apps. Since v0.5.0; lacking: v0.1.0/*,
 * v0.2.0/*, v0.3.0/*, v0.4.0/*.
 */
export const DEPLOY_WINDOWS_PATCH = 'deploy-windows';

/**
 * A deployment of an app with a health check bakes after the target reports SUCCESS (step
 * `verifying`: probes between durable timers) and, when the bake fails, ends
 * `deploy:health:failed` after starting the automatic rollback (docs/contract.md#verified-releases).
 * Asked only where the app has a health check, which no run started before it had. Since v0.5.0;
 * lacking: v0.1.0/*, v0.2.0/*, v0.3.0/*, v0.4.0/*.
 */
export const HEALTH_BAKE_PATCH = 'health-bake';

/**
 * Fewer round trips per deployment (docs/performance.md#the-raw-work-baseline), one patch id
 * because each id costs a run a marker and a search-attribute upsert:
 * - the steps' entries are written by the activities that do the work: the workflow numbers them
 *   (the `pending` before, the `ok` after) and passes them in (`statusEntries`), instead of a
 *   status-writing local activity before and after each: resolve's two reads, `fetch`, `inspect`,
 *   `upload`, the first `processing` poll (its `pending`), the ACTIVATE (its `pending`). A failed
 *   activity's `ok` number goes to the entry after it, so the log keeps no gaps;
 * - a deployment with nothing between its inspection and its turn in the line (no approval rule,
 *   no deploy windows) has the inspect activity tell the line it is `ready`, after its `ok`
 *   entry, instead of a local activity in the workflow task after it;
 * - a deployment in a release line runs its bookkeeping calls that never fail (best effort, or
 *   retried until done) at once rather than one after another: joining the line and the pending
 *   commit status at the start; the line, the GitHub deployment and the `queued` notification
 *   after resolve; the GitHub deployment status and `started` before the upload; the commit
 *   status, the GitHub deployment status and the record closed (then the line left and the
 *   subscribers told) at the end.
 * Since v0.5.0; lacking: v0.1.0/*, v0.2.0/*, v0.3.0/*, v0.4.0/*.
 */
export const FEWER_ROUND_TRIPS_PATCH = 'fewer-round-trips';
