/**
 * The status page's HTML. Embedded in a .ts module so `tsc` carries it into dist/ (and the
 * Docker image); the page loads app.js and style.css from the same origin only (see the CSP in
 * status-page.controller.ts): no inline script or style anywhere.
 */
export const INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Deployments · deploy-webhooks</title>
<link rel="icon" href="/status-page/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/status-page/style.css">
<script src="/status-page/app.js" defer></script>
<script src="/status-page/apps.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="top-bar">
  <p class="brand">deploy-webhooks <span>status</span></p>
  <div id="session" class="session" hidden>
    <p id="connection" class="connection" role="status" data-state="connecting">Connecting…</p>
    <p class="who">Signed in as <strong id="signed-in-as"></strong></p>
    <button type="button" id="sign-out" class="secondary">Sign out</button>
  </div>
</header>
<main id="main" tabindex="-1">
  <section id="sign-in" class="sign-in" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in</h1>
    <p>Use your username and an API token (<code>POST /1/users/&lt;you&gt;/tokens</code>). The token is kept in this browser tab only and is forgotten when you close it.</p>
    <form id="sign-in-form" method="post" aria-describedby="sign-in-error">
      <div class="field">
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required>
      </div>
      <div class="field">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" required>
      </div>
      <button type="submit" id="sign-in-submit">Sign in</button>
      <p id="sign-in-error" class="form-error" role="alert"></p>
    </form>
  </section>
  <section id="dashboard" class="dashboard" aria-labelledby="dashboard-title" hidden>
    <h1 id="dashboard-title">Deployments</h1>
    <p id="empty" class="empty">No deployments yet. Push to a configured repository and it appears here as it happens.</p>
    <ol id="deployments" class="deployments"></ol>
  </section>
  <section id="app-view" class="app-view" aria-labelledby="app-title" hidden>
    <p><a href="#" id="back-to-deployments">← All deployments</a></p>
    <h1 id="app-title" tabindex="-1"></h1>
    <div class="lock-line">
      <p id="app-trigger" class="app-trigger"></p>
      <p id="app-lock" class="app-lock" role="status" data-locked="false"></p>
      <button type="button" id="unlock" class="secondary" hidden>Unlock</button>
    </div>
    <p id="app-error" class="form-error" role="alert"></p>
    <h2 id="releases-title">Releases</h2>
    <div class="actions"><button type="button" id="redeploy" hidden>Redeploy</button></div>
    <p id="release-progress" class="release-progress" role="status"></p>
    <p id="releases-empty" class="empty" hidden>No releases yet: a deployment that succeeds makes v1.</p>
    <table id="releases" class="releases" aria-labelledby="releases-title">
      <thead><tr><th scope="col">Release</th><th scope="col">Cause</th><th scope="col">Commit</th><th scope="col">By</th><th scope="col">When</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody id="releases-body"></tbody>
    </table>
  </section>
  <dialog id="confirm" class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
    <h2 id="confirm-title"></h2>
    <p id="confirm-text"></p>
    <div class="actions"><button type="button" id="confirm-yes"></button><button type="button" id="confirm-no" class="secondary">Cancel</button></div>
  </dialog>
  <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
</main>
<noscript><p class="noscript">This page needs JavaScript to follow your deployments live.</p></noscript>
</body>
</html>
`;

/** A small mark for the browser tab (and no 404 for /favicon.ico). */
export const FAVICON_SVG = String.raw`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b57d0"/><path d="M9 17l5 5 9-11" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>
`;
