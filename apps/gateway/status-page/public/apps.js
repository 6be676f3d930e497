/*
 * The status page's app view (SPEC 6.4–6.6; loaded after app.js, building on the helpers it
 * exposes as `window.statusPage`): an app's releases with the live one marked, Rollback and
 * Redeploy behind a confirmation, the deployment they start followed live on the button that
 * started it, and the lock a rollback sets with Unlock. Opened at `#app=<name>` (each
 * deployment's app name links there).
 */
(function () {
  'use strict';

  var sp = window.statusPage;
  var POLL_MS = 500;
  var current = null;
  var loads = 0;
  var busy = false;
  var pendingConfirm = null;

  function byId(id) {
    return document.getElementById(id);
  }
  function signedIn() {
    return !byId('session').hidden;
  }
  function user() {
    return byId('signed-in-as').textContent;
  }
  /** `#app=<name>` is one of the user's apps, `#app=<owner>/<name>` one shared with them (docs/contract.md#collaborators). */
  function appPath() {
    var slash = current.indexOf('/');
    var owner = slash < 0 ? user() : current.slice(0, slash);
    return '/1/apps/' + sp.enc(owner) + '/' + sp.enc(current.slice(slash + 1));
  }

  function appFromHash() {
    var match = /^#app=(.+)$/.exec(location.hash);
    if (!match) return null;
    try {
      return decodeURIComponent(match[1]);
    } catch (e) {
      return null;
    }
  }

  /** Shows the app view for #app=<name>, the deployments otherwise. */
  function route() {
    var app = signedIn() ? appFromHash() : null;
    byId('app-view').hidden = !app;
    if (signedIn()) byId('dashboard').hidden = !!app;
    if (!app) {
      current = null;
      return;
    }
    if (app !== current) {
      current = app;
      byId('app-title').textContent = app;
      byId('release-progress').textContent = '';
      byId('app-error').textContent = '';
      byId('releases-body').textContent = '';
    }
    load();
    byId('app-title').focus();
  }

  function load() {
    var ticket = ++loads;
    return Promise.all([sp.api('GET', appPath()), sp.api('GET', appPath() + '/releases?limit=100')]).then(function (answers) {
      if (ticket !== loads) return;
      var app = answers[0];
      var releases = answers[1];
      if (app.status === 401) return sp.signOut(sp.describeError(app.body, 401));
      if (!app.ok || !releases.ok) {
        byId('app-error').textContent = sp.describeError((app.ok ? releases : app).body, (app.ok ? releases : app).status);
        return;
      }
      byId('app-error').textContent = '';
      renderTrigger(app.body);
      renderHealthCheck(app.body);
      renderLock(app.body);
      renderReleases(Array.isArray(releases.body) ? releases.body : []);
      loadPreviews(app.body, ticket);
      loadPipelines(app.body, ticket);
    });
  }

  function releaseText(release) {
    return release ? 'v' + release.version + ' (' + release.commit.slice(0, 7) + ')' : release === null ? 'none' : '';
  }

  /**
   * The release pipelines the app is part of, each with its latest run: per stage, per app, the
   * state, before and after, and why, the compensation included (docs/contract.md#release-pipelines).
   */
  function loadPipelines(app, ticket) {
    var base = '/1/pipelines/' + sp.enc(app.user);
    return sp.api('GET', base + '?limit=100').then(function (answer) {
      if (ticket !== loads || !answer.ok) return;
      var pipelines = (Array.isArray(answer.body) ? answer.body : []).filter(function (pipeline) {
        return (
          pipeline.source === app.name ||
          pipeline.stages.some(function (stage) {
            return stage.apps.indexOf(app.name) >= 0;
          })
        );
      });
      byId('pipelines-section').hidden = pipelines.length === 0;
      return Promise.all(
        pipelines.map(function (pipeline) {
          return sp.api('GET', base + '/' + sp.enc(pipeline.name) + '/runs?limit=1');
        }),
      ).then(function (runs) {
        if (ticket !== loads) return;
        var body = byId('pipelines-body');
        body.textContent = '';
        pipelines.forEach(function (pipeline, i) {
          var run = runs[i].ok && Array.isArray(runs[i].body) ? runs[i].body[0] : null;
          var title = pipeline.name + ' (from ' + pipeline.source + ')';
          body.appendChild(
            sp.h('tr', { 'data-state': run ? run.state : 'none' }, [
              sp.h('th', { scope: 'row', text: title }),
              sp.h('td', { text: run ? 'v' + run.release.version + ' of ' + run.source : '' }),
              sp.h('td', { text: '' }),
              sp.h('td', { text: run ? run.state.replace(/_/g, ' ') : 'no run yet' }),
              sp.h('td', { text: '' }),
              sp.h('td', { text: run && run.reason ? run.reason : '' }),
            ]),
          );
          if (!run) return;
          run.stages.forEach(function (stage, index) {
            stage.apps.forEach(function (entry) {
              body.appendChild(
                sp.h('tr', { 'data-state': entry.state }, [
                  sp.h('td', { text: '' }),
                  sp.h('td', { text: String(index + 1) + (stage.approval ? ' (approval)' : '') }),
                  sp.h('td', { text: entry.app }),
                  sp.h('td', { text: entry.state.replace(/_/g, ' ') }),
                  sp.h('td', { text: releaseText(entry.before) + (entry.after !== undefined ? ' → ' + releaseText(entry.after) : '') }),
                  sp.h('td', { text: entry.why || (entry.error ? entry.error.message : '') }),
                ]),
              );
            });
          });
        });
      });
    });
  }

  /** The app's preview apps of pull requests (docs/contract.md#preview-apps), when it has previews. */
  function loadPreviews(app, ticket) {
    byId('previews-section').hidden = !app.previews;
    if (!app.previews) return;
    return sp.api('GET', appPath() + '/previews?limit=100').then(function (answer) {
      if (ticket !== loads || !answer.ok) return;
      var previews = Array.isArray(answer.body) ? answer.body : [];
      var body = byId('previews-body');
      body.textContent = '';
      byId('previews-empty').hidden = previews.length > 0;
      byId('previews').hidden = previews.length === 0;
      previews.forEach(function (preview) {
        body.appendChild(
          sp.h('tr', { 'data-state': preview.state }, [
            sp.h('td', { text: '#' + preview.pr + (preview.fork ? ' (fork)' : '') }),
            sp.h('td', { text: preview.name }),
            sp.h('td', { text: preview.state.replace(/_/g, ' ') }),
            sp.h('td', { text: preview.head ? preview.head.sha.slice(0, 7) : '' }),
            sp.h('td', { text: preview.reason }),
            sp.h('td', {}, preview.state === 'awaiting_approval' && preview.head ? [approveButton(preview)] : []),
          ]),
        );
      });
    });
  }

  /**
   * Approve on a fork's head waiting in a preview (docs/contract.md#preview-apps): that head only,
   * with an optional comment; a caller who is not one of the app's reviewers is told so.
   */
  function approveButton(preview) {
    var sha = preview.head.sha;
    var button = sp.h('button', {
      type: 'button',
      className: 'approve',
      text: 'Approve',
      'aria-label': 'Approve ' + sha.slice(0, 7) + ' of pull request #' + preview.pr,
    });
    button.addEventListener('click', function () {
      var comment = window.prompt('Deploy ' + sha.slice(0, 7) + ' from the fork to ' + preview.name + '? Comment (optional)', '');
      if (comment === null) return;
      var body = comment.trim() ? { sha: sha, comment: comment.trim() } : { sha: sha };
      button.disabled = true;
      sp.api('POST', appPath() + '/previews/' + preview.pr + '/approve', body).then(function (answer) {
        if (answer.status === 401) return sp.signOut(sp.describeError(answer.body, 401));
        if (!answer.ok) {
          button.disabled = false;
          byId('app-error').textContent = 'Could not approve: ' + sp.describeError(answer.body, answer.status);
          return;
        }
        sp.announce(sha.slice(0, 7) + ' deploys to ' + preview.name + '.');
        load();
      });
    });
    return button;
  }

  function renderLock(app) {
    var lock = app.locked;
    var node = byId('app-lock');
    node.dataset.locked = lock ? 'true' : 'false';
    node.textContent = !lock
      ? 'Not locked: pushes its trigger matches deploy.'
      : lock.by === 'health-check'
        ? 'Locked after an automatic rollback to v' +
          lock.release +
          ' (a deployment failed its health-checked bake): pushes are ignored until it is unlocked.'
        : 'Locked after a rollback to v' + lock.release + ' (by ' + lock.by + '): pushes are ignored until it is unlocked.';
    byId('unlock').hidden = !lock;
  }

  /** The bake after each cut-over (docs/contract.md#verified-releases), when the app has a health check. */
  function renderHealthCheck(app) {
    var check = app.healthCheck;
    var trigger = byId('app-trigger');
    if (!check) return;
    trigger.textContent +=
      ' Each deployment bakes: ' +
      check.url +
      ' every ' +
      check.interval +
      ' for ' +
      check.bake +
      '; ' +
      check.failureThreshold +
      ' failures in a row roll it back.';
  }

  /** What deploys the app (SPEC 8, Triggers): a branch or a tag glob, and its path globs. */
  function renderTrigger(app) {
    var on = app.deployOn || {};
    var what = on.tags
      ? 'tags matching ' + on.tags + ' (and their published releases)'
      : 'pushes to ' + (on.branch || app.branch || 'the default branch');
    byId('app-trigger').textContent =
      'Deploys ' + what + (app.paths && app.paths.length ? ' that change ' + app.paths.join(', ') : '') + '.';
  }

  function renderReleases(releases) {
    var body = byId('releases-body');
    body.textContent = '';
    byId('releases-empty').hidden = releases.length > 0;
    byId('releases').hidden = releases.length === 0;
    var live = releases.filter(function (release) {
      return release.live;
    })[0];
    byId('redeploy').hidden = !live;
    if (!busy) byId('redeploy').textContent = 'Redeploy';
    byId('redeploy').dataset.release = live ? String(live.version) : '';
    releases.forEach(function (release) {
      var rollback = null;
      if (!release.live) {
        rollback = sp.h('button', {
          type: 'button',
          className: 'secondary rollback',
          text: 'Roll back to v' + release.version,
          disabled: busy,
        });
        rollback.addEventListener('click', function () {
          confirmThen(
            'Roll back ' + current + ' to v' + release.version + '?',
            'Its code (' +
              release.commit.slice(0, 7) +
              ') is deployed again with the current env, as a new release. Pushes are then ignored until you unlock the app.',
            'Roll back',
            function () {
              start('rollback', { release: release.version }, rollback, 'Rolling back to v' + release.version);
            },
          );
        });
      }
      body.appendChild(
        sp.h('tr', { 'data-version': release.version, 'data-live': release.live ? 'true' : 'false' }, [
          sp.h('th', { scope: 'row' }, [
            'v' + release.version,
            release.live ? sp.h('span', { className: 'badge', 'data-state': 'succeeded', text: 'Live' }) : null,
          ]),
          sp.h('td', {
            text: release.rolledBackTo
              ? (release.cause === 'auto-rollback' ? 'automatic rollback to v' : 'rollback to v') + release.rolledBackTo
              : release.cause,
          }),
          sp.h('td', null, [sp.h('code', { title: release.commit, text: release.commit.slice(0, 7) })]),
          sp.h('td', { text: release.by }),
          sp.h('td', null, [sp.timeOf(release.createdAt)]),
          sp.h('td', null, [rollback]),
        ]),
      );
    });
  }

  function confirmThen(title, text, yes, then) {
    byId('confirm-title').textContent = title;
    byId('confirm-text').textContent = text;
    byId('confirm-yes').textContent = yes;
    pendingConfirm = then;
    byId('confirm').showModal();
    byId('confirm-no').focus();
  }

  function setBusy(value) {
    busy = value;
    Array.prototype.forEach.call(byId('app-view').querySelectorAll('button.rollback, #redeploy'), function (button) {
      button.disabled = value;
    });
  }

  /** Starts a rollback or redeploy and follows its deployment on the button until it ends. */
  function start(action, body, button, doing) {
    var app = current;
    setBusy(true);
    button.textContent = doing + '…';
    sp.api('POST', appPath() + '/' + action, body).then(function (res) {
      if (res.status === 401) return sp.signOut(sp.describeError(res.body, 401));
      if (!res.ok) {
        setBusy(false);
        byId('release-progress').dataset.state = 'failed';
        byId('release-progress').textContent = 'Could not ' + action + ': ' + sp.describeError(res.body, res.status);
        load();
        return;
      }
      sp.announce(doing + ' ' + app + ' as deployment ' + res.body.id + '.');
      follow(app, res.body.id, button, doing);
    });
  }

  async function follow(app, id, button, doing) {
    var progress = byId('release-progress');
    progress.dataset.deploymentId = id;
    for (;;) {
      var res = await sp.api('GET', '/1/deployments/' + sp.enc(id));
      if (app !== current) {
        setBusy(false);
        return;
      }
      if (res.ok && res.body) {
        var steps = res.body.steps || [];
        var last = steps[steps.length - 1];
        var step = last ? sp.stepLabels[last.step] || last.step : 'Received';
        if (last && last.step === 'done') {
          var ok = last.status === 'ok';
          progress.dataset.state = ok ? 'succeeded' : 'failed';
          progress.textContent =
            'Deployment ' +
            id +
            (ok
              ? ' succeeded: its release is live.'
              : ' failed: ' + (last.error ? last.error.code + ': ' + last.error.message : last.message || ''));
          sp.announce(progress.textContent);
          setBusy(false);
          load();
          return;
        }
        progress.dataset.state = 'running';
        progress.textContent = doing + ': deployment ' + id + ', ' + step + ' (' + (last ? last.status : 'pending') + ').';
        button.textContent = doing + '… ' + step;
      }
      await sp.sleep(POLL_MS);
    }
  }

  function startUp() {
    window.addEventListener('hashchange', route);
    document.addEventListener('status-page:signed-in', route);
    document.addEventListener('status-page:signed-out', function () {
      current = null;
      byId('app-view').hidden = true;
    });
    byId('confirm').addEventListener('close', function () {
      var then = pendingConfirm;
      pendingConfirm = null;
      if (byId('confirm').returnValue === 'yes' && then) then();
    });
    byId('confirm-yes').addEventListener('click', function () {
      byId('confirm').close('yes');
    });
    byId('confirm-no').addEventListener('click', function () {
      byId('confirm').close('no');
    });
    byId('redeploy').addEventListener('click', function () {
      var button = byId('redeploy');
      var version = button.dataset.release;
      confirmThen(
        'Redeploy ' + current + '?',
        'The live release v' + version + ' is deployed again with the current env, as a new release.',
        'Redeploy',
        function () {
          start('redeploy', undefined, button, 'Redeploying v' + version);
        },
      );
    });
    byId('unlock').addEventListener('click', function () {
      sp.api('POST', appPath() + '/unlock').then(function (res) {
        if (res.ok) {
          renderLock(res.body);
          sp.announce(current + ' unlocked: pushes deploy again.');
        } else byId('app-error').textContent = sp.describeError(res.body, res.status);
      });
    });
    byId('back-to-deployments').addEventListener('click', function (event) {
      event.preventDefault();
      history.pushState(null, '', location.pathname);
      route();
    });
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startUp);
  else startUp();
})();
