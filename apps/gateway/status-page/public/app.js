/*
 * The status page's script: plain browser JavaScript, no framework, no build step (served as is by
 * status-page.controller.ts; the CSP allows same-origin script only, so nothing inline).
 *
 * Auth: HTTP Basic `user:apiToken` on every request, kept in sessionStorage (this tab only).
 * Live updates: EventSource cannot send an Authorization header, so the changes feed is read
 * with fetch() as NDJSON (`include_docs=true`); on reconnect it resumes with `since=<last seq>`.
 * Before the first line arrives the resume point is the server's Date header of the history
 * request minus a margin; entries are keyed by id, so an overlap never shows twice.
 */
(function () {
  'use strict';

  var STORAGE_KEY = 'deploy-webhooks.status-page.credentials';
  var HISTORY_LIMIT = 100;
  var MAX_DEPLOYMENTS = 50;
  var DETAIL_CONCURRENCY = 4;
  var RESUME_MARGIN_MS = 5000;
  var SILENCE_LIMIT_MS = 60000;
  var STATE_LABELS = { running: 'Running', succeeded: 'Succeeded', failed: 'Failed', canceled: 'Canceled' };
  var STATUS_LABELS = { ok: 'ok', error: 'failed', pending: 'in progress', canceled: 'canceled' };
  var STEP_LABELS = {
    received: 'Received',
    waiting_for_ci: 'Waiting for CI',
    resolve: 'Resolve',
    fetch: 'Fetch',
    inspect: 'Inspect',
    queued: 'Queued',
    upload: 'Upload',
    processing: 'Processing',
    verifying: 'Verifying (health-checked bake)',
    done: 'Done',
    activating: 'Activating',
    awaiting_approval: 'Awaiting approval',
    waiting_for_window: 'Waiting for a deploy window',
  };

  var credentials = null;
  var generation = 0;
  /** The feeds followed: the user's own, and one per owner of apps shared with them (docs/contract.md#collaborators). */
  var feedAborts = [];
  /** Resume token per feed, by the owner whose feed it is. */
  var sinceOf = new Map();
  var deployments = new Map();
  var detailQueue = [];
  var detailsRunning = 0;
  var announceQueue = [];
  var announceTimer = null;

  function byId(id) {
    return document.getElementById(id);
  }

  /** Builds an element; text only ever goes in through textContent. */
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs)
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'className') node.className = value;
        else node.setAttribute(key, value === true ? '' : String(value));
      });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function enc(value) {
    return encodeURIComponent(value);
  }
  function sleep(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  function basicHeader() {
    var bytes = new TextEncoder().encode(credentials.user + ':' + credentials.token);
    var binary = '';
    bytes.forEach(function (b) {
      binary += String.fromCharCode(b);
    });
    return 'Basic ' + btoa(binary);
  }

  /** Every API call: Basic auth, JSON in (when a body is given) and back (errors are {error, message, uuid}). */
  function api(method, path, body) {
    var headers = { authorization: basicHeader(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    }).then(
      function (response) {
        return response.text().then(function (text) {
          var body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (e) {
            body = null;
          }
          return { ok: response.ok, status: response.status, body: body, date: response.headers.get('date') };
        });
      },
      function (error) {
        return {
          ok: false,
          status: 0,
          body: { error: 'network', message: 'The gateway could not be reached (' + error.message + ').' },
          date: null,
        };
      },
    );
  }

  function describeError(body, status) {
    if (body && body.error) return body.error + ': ' + (body.message || '');
    return 'HTTP ' + status;
  }

  function announce(text) {
    announceQueue.push(text);
    if (announceTimer) return;
    announceTimer = setTimeout(function () {
      announceTimer = null;
      byId('announcer').textContent = announceQueue.splice(0).join(' ');
    }, 400);
  }

  function setConnection(state, text) {
    var node = byId('connection');
    node.dataset.state = state;
    node.textContent = text;
  }

  // ---- sign in / out -------------------------------------------------------------------------

  function showSignIn(message) {
    byId('session').hidden = true;
    byId('dashboard').hidden = true;
    byId('sign-in').hidden = false;
    byId('sign-in-error').textContent = message || '';
    var user = byId('username');
    if (credentials) user.value = credentials.user;
    byId('token').value = '';
    (user.value ? byId('token') : user).focus();
  }

  function showDashboard() {
    byId('sign-in').hidden = true;
    byId('session').hidden = false;
    byId('dashboard').hidden = false;
    byId('signed-in-as').textContent = credentials.user;
    document.dispatchEvent(new CustomEvent('status-page:signed-in'));
  }

  function stop() {
    generation += 1;
    feedAborts.splice(0).forEach(function (controller) {
      controller.abort();
    });
    sinceOf.clear();
    deployments.forEach(function (dep) {
      clearTimeout(dep.detailTimer);
    });
    deployments.clear();
    detailQueue = [];
    byId('deployments').textContent = '';
    byId('empty').hidden = false;
  }

  function signOut(message) {
    stop();
    document.dispatchEvent(new CustomEvent('status-page:signed-out'));
    sessionStorage.removeItem(STORAGE_KEY);
    showSignIn(message);
  }

  function signIn(user, token, button) {
    stop();
    credentials = { user: user, token: token };
    var mine = generation;
    if (button) button.disabled = true;
    byId('sign-in-error').textContent = '';
    return api('GET', '/1/status/' + enc(user) + '/webhooks?limit=' + HISTORY_LIMIT).then(function (res) {
      if (button) button.disabled = false;
      if (mine !== generation) return;
      if (!res.ok) {
        sessionStorage.removeItem(STORAGE_KEY);
        showSignIn(describeError(res.body, res.status));
        return;
      }
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
      showDashboard();
      byId('dashboard-title').focus();
      var serverNow = res.date ? Date.parse(res.date) : NaN;
      var start = String(Math.max(0, (isNaN(serverNow) ? Date.now() : serverNow) - RESUME_MARGIN_MS));
      sinceOf.set(user, start);
      applyHistory(res.body);
      follow(mine, user);
      followShared(mine, user, start);
    });
  }

  function applyHistory(entries) {
    (Array.isArray(entries) ? entries : [])
      .slice()
      .reverse()
      .forEach(function (entry) {
        applyEntry(entry, false);
      });
  }

  /**
   * The apps other users shared with the signed-in user: each owner's log and feed, which hold
   * the entries of the shared apps only (docs/contract.md#collaborators).
   */
  function followShared(mine, user, start) {
    return api('GET', '/1/apps').then(function (res) {
      if (mine !== generation || !res.ok || !res.body || !Array.isArray(res.body.apps)) return;
      var owners = [];
      res.body.apps.forEach(function (app) {
        if (app.user !== user && owners.indexOf(app.user) < 0) owners.push(app.user);
      });
      owners.forEach(function (owner) {
        api('GET', '/1/status/' + enc(owner) + '/webhooks?limit=' + HISTORY_LIMIT).then(function (log) {
          if (mine !== generation || !log.ok) return;
          sinceOf.set(owner, start);
          applyHistory(log.body);
          follow(mine, owner);
        });
      });
    });
  }

  // ---- the live feed ---------------------------------------------------------------------------

  /** Follows `owner`'s feed: the user's own (its state is the page's connection), or a shared one. */
  function follow(mine, owner) {
    var own = owner === credentials.user;
    var backoff = 1000;
    var quiet = false; // the feed reached its time limit: reconnect without telling anyone
    (async function loop() {
      while (mine === generation) {
        var controller = new AbortController();
        feedAborts.push(controller);
        var reason = 'the feed closed';
        var lastHeard = Date.now();
        // Heartbeats come every 15 s by default: a minute of silence means a dead connection.
        var watchdog = setInterval(function () {
          if (Date.now() - lastHeard > SILENCE_LIMIT_MS) controller.abort();
        }, 5000);
        if (!quiet && own) setConnection('connecting', 'Connecting…');
        quiet = false;
        try {
          var since = sinceOf.get(owner);
          var url = '/1/status/' + enc(owner) + '/changes?include_docs=true' + (since ? '&since=' + enc(since) : '');
          var response = await fetch(url, {
            headers: { authorization: basicHeader(), accept: 'application/x-ndjson' },
            cache: 'no-store',
            credentials: 'omit',
            signal: controller.signal,
          });
          if (response.status === 401) {
            var denied = await response.json().catch(function () {
              return null;
            });
            // A shared feed refused: the apps are no longer shared; the page stays signed in.
            if (mine === generation && own) signOut(describeError(denied, 401));
            return;
          }
          if (!response.ok || !response.body) {
            var failed = await response.json().catch(function () {
              return null;
            });
            throw new Error(describeError(failed, response.status));
          }
          if (own) setConnection('live', 'Live');
          backoff = 1000;
          var reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          var buffer = '';
          for (;;) {
            var chunk = await reader.read();
            if (chunk.done) break;
            lastHeard = Date.now();
            buffer += chunk.value;
            var newline;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              var text = buffer.slice(0, newline).trim();
              buffer = buffer.slice(newline + 1);
              if (!text) continue; // heartbeat
              var line;
              try {
                line = JSON.parse(text);
              } catch (e) {
                continue;
              }
              if (line.seq) sinceOf.set(owner, line.seq);
              if (line.error) {
                // The feed's last word (time limit, shutdown): reconnect from its token.
                reason = line.message || line.error;
                if (line.error === 'status:changes:timeout') quiet = true;
              } else if (line.doc && mine === generation) {
                applyEntry(line.doc, true);
              }
            }
          }
        } catch (error) {
          if (mine !== generation) return;
          reason = error && error.message ? error.message : String(error);
        } finally {
          clearInterval(watchdog);
          feedAborts = feedAborts.filter(function (other) {
            return other !== controller;
          });
        }
        if (mine !== generation) return;
        if (quiet) {
          await sleep(250);
          continue;
        }
        if (own) setConnection('reconnecting', 'Reconnecting in ' + Math.round(backoff / 1000) + ' s (' + reason + ')');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    })();
  }

  // ---- deployments -----------------------------------------------------------------------------

  function entrySeq(entry) {
    var n = Number(String(entry.id).split(':').pop());
    return isNaN(n) ? 0 : n;
  }

  function ensureDeployment(id) {
    var dep = deployments.get(id);
    if (dep) return dep;
    dep = { id: id, entries: new Map(), detail: null, detailTimer: null, dom: buildDeployment(id), state: null, key: '' };
    deployments.set(id, dep);
    byId('empty').hidden = true;
    requestDetail(dep, 0);
    return dep;
  }

  function applyEntry(entry, live) {
    if (!entry || !entry.deployment || !entry.id) return;
    var isNew = !deployments.has(entry.deployment);
    var dep = ensureDeployment(entry.deployment);
    if (dep.entries.has(entry.id)) return;
    dep.entries.set(entry.id, entry);
    if (entry.step === 'done') requestDetail(dep, 0);
    else if (entry.step === 'processing') requestDetail(dep, 1000);
    else if (entry.step === 'awaiting_approval' || entry.step === 'waiting_for_window') requestDetail(dep, 300); // who may decide
    render(dep, live);
    if (live && isNew) announce('New deployment of ' + title(dep) + '.');
  }

  function requestDetail(dep, delay) {
    if (dep.detailTimer) {
      if (delay > 0) return; // one is already due
      clearTimeout(dep.detailTimer);
    }
    dep.detailTimer = setTimeout(function () {
      dep.detailTimer = null;
      detailQueue.push(dep);
      pumpDetails();
    }, delay);
  }

  function pumpDetails() {
    var mine = generation;
    while (detailsRunning < DETAIL_CONCURRENCY && detailQueue.length) {
      var dep = detailQueue.shift();
      detailsRunning += 1;
      (function (dep) {
        api('GET', '/1/deployments/' + enc(dep.id)).then(function (res) {
          detailsRunning -= 1;
          if (mine !== generation) return;
          if (res.ok && res.body) {
            dep.detail = res.body;
            // The stored steps fill any gap the feed left (an entry committed very late is not resumable).
            (res.body.steps || []).forEach(function (entry) {
              if (entry && entry.id && !dep.entries.has(entry.id)) dep.entries.set(entry.id, entry);
            });
            render(dep, true);
            // A bake writes entries only when it starts, fails or ends: its progress is read again while it runs.
            var now = res.body.state;
            if (now && now.state === 'verifying') requestDetail(dep, 5000);
          }
          pumpDetails();
        });
      })(dep);
    }
  }

  function sortedEntries(dep) {
    return Array.from(dep.entries.values()).sort(function (a, b) {
      return entrySeq(a) - entrySeq(b);
    });
  }

  function parseCommit(commit) {
    var parts = String(commit || '').split('/');
    return { repository: parts.slice(0, 2).join('/'), sha: parts.slice(2).join('/') };
  }

  function title(dep) {
    var entries = sortedEntries(dep);
    var last = entries[entries.length - 1];
    var detail = dep.detail || {};
    var app =
      (last && last.app_name) ||
      (detail.state && detail.state.app) ||
      detail.app ||
      (detail.repository ? detail.repository.split('/')[1] : dep.id);
    var sha = last ? parseCommit(last.commit).sha : detail.commit || '';
    return app + (sha ? ' ' + sha.slice(0, 7) : '');
  }

  function deriveState(dep, entries) {
    var last = entries[entries.length - 1];
    if (last && last.step === 'done') {
      if (last.status === 'ok') return 'succeeded';
      var code = last.error && last.error.code;
      return code === 'deploy:canceled' || code === 'deploy:superseded' || code === 'deploy:stale' ? 'canceled' : 'failed';
    }
    // The record's state: waiting for CI, queued and running are all in flight here.
    var live = dep.detail && dep.detail.state;
    if (live && STATE_LABELS[live.state] && live.state !== 'running') return live.state;
    if (live && (live.state === 'superseded' || live.state === 'stale')) return 'canceled';
    if (dep.detail && dep.detail.workflowStatus && dep.detail.workflowStatus !== 'RUNNING' && !last) return 'failed';
    return 'running';
  }

  function buildDeployment(id) {
    var titleId = 'deployment-' + id + '-title';
    var dom = {};
    dom.item = h('li', { className: 'deployment', id: 'deployment-' + id, 'data-deployment-id': id, 'data-state': 'running' });
    dom.app = h('a', { className: 'app' }); // opens the app's view (apps.js): releases, rollback
    dom.commit = h('span', { className: 'commit mono' });
    dom.badge = h('span', { className: 'badge', 'data-state': 'running', text: 'Running' });
    dom.meta = h('dl', { className: 'meta' });
    dom.errorCode = h('code', { className: 'error-code' });
    dom.errorMessage = h('p', { className: 'error-message' });
    dom.error = h('div', { className: 'error-box', hidden: true }, [
      h('p', null, [h('strong', { text: 'Error ' }), dom.errorCode]),
      dom.errorMessage,
    ]);
    dom.timeline = h('ol', { className: 'timeline', 'aria-label': 'Steps' });
    dom.retry = h('button', { type: 'button', className: 'retry', 'aria-describedby': titleId, hidden: true, text: 'Retry' });
    dom.cancel = h('button', { type: 'button', className: 'cancel secondary', 'aria-describedby': titleId, hidden: true, text: 'Cancel' });
    dom.temporal = h('a', {
      className: 'temporal',
      target: '_blank',
      rel: 'noopener noreferrer',
      'aria-describedby': titleId,
      hidden: true,
      text: 'Workflow in Temporal UI',
    });
    // Decisions on a deployment held for approval or a deploy window (docs/contract.md#approvals).
    dom.approve = h('button', { type: 'button', className: 'approve', 'aria-describedby': titleId, hidden: true, text: 'Approve' });
    dom.reject = h('button', { type: 'button', className: 'reject secondary', 'aria-describedby': titleId, hidden: true, text: 'Reject' });
    dom.deployNow = h('button', {
      type: 'button',
      className: 'deploy-now secondary',
      'aria-describedby': titleId,
      hidden: true,
      text: 'Deploy now',
    });
    dom.result = h('p', { className: 'action-result', role: 'status' });
    dom.item.appendChild(
      h('article', { 'aria-labelledby': titleId }, [
        h('div', { className: 'deployment-head' }, [h('h2', { id: titleId }, [dom.app, dom.commit]), dom.badge]),
        dom.meta,
        dom.error,
        dom.timeline,
        h('div', { className: 'actions' }, [dom.retry, dom.cancel, dom.approve, dom.reject, dom.deployNow, dom.temporal, dom.result]),
      ]),
    );
    dom.retry.addEventListener('click', function () {
      act(id, 'retry');
    });
    dom.cancel.addEventListener('click', function () {
      act(id, 'cancel');
    });
    dom.approve.addEventListener('click', function () {
      decide(id, 'approve', dom.approve);
    });
    dom.reject.addEventListener('click', function () {
      decide(id, 'reject', dom.reject);
    });
    dom.deployNow.addEventListener('click', function () {
      decide(id, 'deploy-now', dom.deployNow);
    });
    return dom;
  }

  function placeDeployment(dep, key) {
    var list = byId('deployments');
    dep.key = key;
    var before = null;
    for (var node = list.firstElementChild; node; node = node.nextElementSibling) {
      var other = deployments.get(node.dataset.deploymentId);
      if (node !== dep.dom.item && other && other.key < key) {
        before = node;
        break;
      }
    }
    if (
      dep.dom.item.parentNode === list &&
      (dep.dom.item.nextElementSibling === before || (before === null && dep.dom.item === list.lastElementChild))
    )
      return;
    if (dep.dom.item.parentNode === list && dep.dom.item.contains(document.activeElement)) return; // do not yank focus away
    list.insertBefore(dep.dom.item, before);
    while (list.children.length > MAX_DEPLOYMENTS) {
      var oldest = list.lastElementChild;
      deployments.delete(oldest.dataset.deploymentId);
      list.removeChild(oldest);
    }
  }

  function metaItem(label, value) {
    return h('div', null, [h('dt', { text: label }), h('dd', null, [value])]);
  }

  function timeOf(ts) {
    var date = new Date(ts);
    return h('time', { datetime: ts, title: date.toLocaleString(), text: date.toLocaleTimeString() });
  }

  /** Steps in order of first appearance, each with its entries. */
  function groupSteps(entries) {
    var groups = [];
    var byStep = {};
    entries.forEach(function (entry) {
      var group = byStep[entry.step];
      if (!group) groups.push((group = byStep[entry.step] = { step: entry.step, entries: [] }));
      group.entries.push(entry);
    });
    return groups;
  }

  function render(dep, announceChange) {
    var dom = dep.dom;
    var entries = sortedEntries(dep);
    var detail = dep.detail;
    var first = entries[0];
    var last = entries[entries.length - 1];
    var state = deriveState(dep, entries);
    var commit = parseCommit(first ? first.commit : detail ? detail.repository + '/' + detail.commit : '');

    var name = title(dep).split(' ')[0];
    // A shared app (another owner's) is named and opened as <owner>/<app>.
    var owner = first ? first.user : detail ? detail.user : undefined;
    var shared = owner && credentials && owner !== credentials.user ? owner + '/' : '';
    dom.app.textContent = shared + name;
    dom.app.href = '#app=' + enc(shared + name);
    dom.commit.textContent = commit.sha.slice(0, 7);
    dom.item.dataset.state = state;
    dom.badge.dataset.state = state;
    dom.badge.textContent = STATE_LABELS[state] + (state === 'running' && last ? ': ' + (STEP_LABELS[last.step] || last.step) : '');

    dom.meta.textContent = '';
    dom.meta.appendChild(metaItem('Repository', commit.repository));
    dom.meta.appendChild(metaItem('Commit', h('code', { title: commit.sha, text: commit.sha.slice(0, 12) })));
    dom.meta.appendChild(metaItem('Via', (first && first.provider) || (detail && detail.provider) || ''));
    var started = (detail && detail.createdAt) || (first && first.ts);
    if (started) dom.meta.appendChild(metaItem('Started', timeOf(started)));
    if (detail && detail.retryOf)
      dom.meta.appendChild(metaItem('Retry of', h('a', { href: '#deployment-' + detail.retryOf, text: detail.retryOf })));
    dom.meta.appendChild(metaItem('Id', h('code', { text: dep.id })));

    var error = (last && last.step === 'done' && last.error) || (detail && detail.state && detail.state.error) || null;
    dom.error.hidden = !error;
    dom.errorCode.textContent = error ? error.code : '';
    dom.errorMessage.textContent = error ? error.message : '';

    dom.timeline.textContent = '';
    var groups = groupSteps(entries);
    var lastWork = groups.length && groups[groups.length - 1].step === 'done' ? groups.length - 2 : groups.length - 1;
    groups.forEach(function (group, index) {
      var latest = group.entries[group.entries.length - 1];
      var status = latest.status;
      // A step still marked pending is over once a later step began, or once the deployment ended.
      if (status === 'pending' && index < lastWork) status = 'ok';
      else if (status === 'pending' && index === lastWork && state !== 'running')
        status = state === 'succeeded' ? 'ok' : state === 'failed' ? 'error' : 'canceled';
      else if (group.step === 'done' && state === 'canceled') status = 'canceled';
      // Steps with more to say than "started, finished" (processing's record states, upload retries) list every message.
      var messages = group.entries.filter(function (entry) {
        return entry.message;
      });
      var history = group.step === 'processing' || group.entries.length > 2 ? messages : [];
      var item = h('li', { className: 'step', 'data-step': group.step, 'data-status': status }, [
        h('div', { className: 'step-line' }, [
          h('span', { className: 'step-name', text: STEP_LABELS[group.step] || group.step }),
          h('span', { className: 'step-status', text: STATUS_LABELS[status] || status }),
          h('span', { className: 'step-message', text: history.length ? '' : latest.message || '' }),
          timeOf(latest.ts),
        ]),
      ]);
      if (history.length) {
        item.appendChild(
          h(
            'ol',
            { className: 'step-history' },
            history.map(function (entry) {
              return h('li', null, [entry.message]);
            }),
          ),
        );
      }
      if (group.step === 'processing' && detail && detail.state && detail.state.records && detail.state.records.length) {
        item.appendChild(recordsTable(detail.state.records));
      }
      if (group.step === 'verifying' && detail && detail.state && detail.state.state === 'verifying' && detail.state.bake) {
        item.appendChild(bakeProgress(detail.state.bake));
      }
      dom.timeline.appendChild(item);
    });

    var cancelWasFocused = document.activeElement === dom.cancel;
    dom.retry.hidden = !(state === 'failed' || state === 'canceled');
    dom.cancel.hidden = state !== 'running';
    if (cancelWasFocused && dom.cancel.hidden && !dom.retry.hidden) dom.retry.focus();
    var held = last && last.status === 'pending' ? last.step : null;
    var reviewer = !!(credentials && detail && detail.approval && detail.approval.reviewers.indexOf(credentials.user) >= 0);
    dom.approve.hidden = dom.reject.hidden = !(held === 'awaiting_approval' && reviewer);
    dom.deployNow.hidden = held !== 'waiting_for_window';
    if (detail && detail.temporalUi) {
      dom.temporal.href = detail.temporalUi;
      dom.temporal.hidden = false;
    }

    if (dep.state !== state) {
      if (announceChange && dep.state && state !== 'running') {
        announce(title(dep) + ' ' + STATE_LABELS[state].toLowerCase() + (error ? ': ' + error.code + '.' : '.'));
      }
      dep.state = state;
    }
    placeDeployment(dep, (detail && detail.createdAt) || (first && first.ts) || new Date().toISOString());
  }

  /** The bake's progress while it runs (docs/contract.md#verified-releases): passing probes write no entry. */
  function bakeProgress(bake) {
    return h('p', {
      className: 'bake-progress',
      text:
        bake.probes +
        ' health check' +
        (bake.probes === 1 ? '' : 's') +
        ' so far, ' +
        bake.failuresInARow +
        ' of ' +
        bake.failureThreshold +
        ' failures in a row; passes at ' +
        new Date(bake.endsAt).toLocaleTimeString() +
        ' at the earliest.',
    });
  }

  function recordsTable(records) {
    return h('table', { className: 'records' }, [
      h('caption', { text: 'Record states' }),
      h('thead', null, [
        h('tr', null, [
          h('th', { scope: 'col', text: 'Record' }),
          h('th', { scope: 'col', text: 'State' }),
          h('th', { scope: 'col', text: 'Message' }),
        ]),
      ]),
      h(
        'tbody',
        null,
        records.map(function (record) {
          return h('tr', null, [
            h('td', null, [h('code', { text: record.ref })]),
            h('td', { text: record.state }),
            h('td', { text: record.message || '' }),
          ]);
        }),
      ),
    ]);
  }

  function act(id, action) {
    var dep = deployments.get(id);
    if (!dep) return;
    var button = action === 'retry' ? dep.dom.retry : dep.dom.cancel;
    var mine = generation;
    button.disabled = true;
    dep.dom.result.textContent = action === 'retry' ? 'Requesting a retry…' : 'Requesting cancellation…';
    api('POST', '/1/deployments/' + enc(id) + '/' + action).then(function (res) {
      button.disabled = false;
      if (mine !== generation) return;
      if (res.status === 401) return signOut(describeError(res.body, 401));
      if (!res.ok) {
        dep.dom.result.textContent = 'Could not ' + action + ': ' + describeError(res.body, res.status);
        return;
      }
      if (action === 'retry') {
        dep.dom.result.textContent = 'Retry started as ' + res.body.id + '.';
        ensureDeployment(res.body.id);
        announce('Retry of ' + title(dep) + ' started.');
      } else {
        dep.dom.result.textContent = 'Cancellation requested.';
        requestDetail(dep, 500);
      }
    });
  }

  /** Approve, reject (with an optional comment) or deploy now (with a reason): the answer is the decision's outcome. */
  function decide(id, action, button) {
    var dep = deployments.get(id);
    if (!dep) return;
    var text = window.prompt(action === 'deploy-now' ? 'Why deploy now, outside the window?' : 'Comment (optional)', '');
    if (text === null || (action === 'deploy-now' && !text.trim())) return;
    var body = action === 'deploy-now' ? { reason: text.trim() } : text.trim() ? { comment: text.trim() } : {};
    var mine = generation;
    button.disabled = true;
    api('POST', '/1/deployments/' + enc(id) + '/' + action, body).then(function (res) {
      button.disabled = false;
      if (mine !== generation) return;
      if (res.status === 401) return signOut(describeError(res.body, 401));
      if (!res.ok) {
        dep.dom.result.textContent = 'Could not ' + action.replace('-', ' ') + ': ' + describeError(res.body, res.status);
        return;
      }
      dep.dom.result.textContent =
        action === 'deploy-now'
          ? 'Deploying now.'
          : res.body.decision === 'rejected'
            ? 'Rejected.'
            : 'Approved (' + res.body.approvals + '/' + res.body.required + ').';
      requestDetail(dep, 500);
    });
  }

  // The app view (apps.js) builds on these; it loads after this file.
  window.statusPage = {
    h: h,
    api: api,
    enc: enc,
    sleep: sleep,
    describeError: describeError,
    announce: announce,
    timeOf: timeOf,
    stepLabels: STEP_LABELS,
    signOut: signOut,
  };

  // ---- start-up --------------------------------------------------------------------------------

  function start() {
    byId('sign-in-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var user = byId('username').value.trim();
      var token = byId('token').value.trim();
      if (!user || !token) {
        byId('sign-in-error').textContent = 'Enter your username and an API token.';
        return;
      }
      signIn(user, token, byId('sign-in-submit'));
    });
    byId('sign-out').addEventListener('click', function () {
      credentials = null;
      signOut('Signed out.');
    });
    var stored = null;
    try {
      stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    } catch (e) {
      stored = null;
    }
    if (stored && stored.user && stored.token) signIn(stored.user, stored.token, null);
    else showSignIn('');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
