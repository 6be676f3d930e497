/** The status page's stylesheet (embedded, see index-html.ts). Colour pairs meet WCAG AA (4.5:1) or better. */
export const STYLE_CSS = String.raw`:root {
  --bg: #ffffff;
  --fg: #1b1f24;
  --muted: #4d5560;
  --line: #c9d1d9;
  --panel: #f6f8fa;
  --accent: #0b57d0;
  --focus: #0b57d0;
  --ok-fg: #0a5d2a; --ok-bg: #e3f5e8;
  --err-fg: #8a1020; --err-bg: #fde7ea;
  --run-fg: #6b4200; --run-bg: #fff1cc;
  --off-fg: #3d434b; --off-bg: #e8ebef;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg);
  background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1217; --fg: #e6e9ee; --muted: #aab2bd; --line: #3a414b; --panel: #181c23;
    --accent: #8ab4f8; --focus: #8ab4f8;
    --ok-fg: #9be4b0; --ok-bg: #10301c;
    --err-fg: #ffb3bd; --err-bg: #3b1118;
    --run-fg: #ffd88a; --run-bg: #332505;
    --off-fg: #d0d5dc; --off-bg: #2a2f37;
  }
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
[hidden] { display: none !important; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.skip-link { position: absolute; left: 0.5rem; top: -3rem; background: var(--bg); padding: 0.5rem 0.75rem; z-index: 2; }
.skip-link:focus { top: 0.5rem; }

.top-bar {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem;
  padding: 0.6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel);
}
.brand { margin: 0; font-weight: 700; }
.brand span { font-weight: 400; color: var(--muted); }
.session { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; }
.session p { margin: 0; }
.connection::before { content: "●"; margin-right: 0.35em; }
.connection[data-state="live"]::before { color: var(--ok-fg); }
.connection[data-state="connecting"]::before, .connection[data-state="reconnecting"]::before { color: var(--run-fg); }
.connection[data-state="error"]::before { color: var(--err-fg); }

main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }

button {
  font: inherit; padding: 0.4rem 0.9rem; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--bg);
}
button.secondary { background: transparent; color: var(--accent); }
button:disabled { opacity: 0.6; cursor: progress; }

.sign-in { max-width: 28rem; }
.field { display: flex; flex-direction: column; margin-bottom: 0.9rem; }
.field label { font-weight: 600; margin-bottom: 0.25rem; }
.field input { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid var(--muted); border-radius: 6px; background: var(--bg); color: var(--fg); }
.form-error { color: var(--err-fg); min-height: 1.5em; }

.empty { color: var(--muted); }
.deployments { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem; }
.deployment { border: 1px solid var(--line); border-left-width: 6px; border-radius: 8px; padding: 0.8rem 1rem; background: var(--bg); }
.deployment[data-state="succeeded"] { border-left-color: var(--ok-fg); }
.deployment[data-state="failed"] { border-left-color: var(--err-fg); }
.deployment[data-state="running"] { border-left-color: var(--run-fg); }
.deployment[data-state="canceled"] { border-left-color: var(--off-fg); }
.deployment-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0.25rem 1rem; }
.deployment h2 { font-size: 1.15rem; margin: 0; }
.deployment h2 .commit { font-weight: 400; color: var(--muted); margin-left: 0.4em; }
.badge { display: inline-block; padding: 0.05rem 0.55rem; border-radius: 999px; font-size: 0.85rem; font-weight: 600; }
.badge[data-state="succeeded"], .step[data-status="ok"] .step-status { color: var(--ok-fg); background: var(--ok-bg); }
.badge[data-state="failed"], .step[data-status="error"] .step-status { color: var(--err-fg); background: var(--err-bg); }
.badge[data-state="running"], .step[data-status="pending"] .step-status { color: var(--run-fg); background: var(--run-bg); }
.badge[data-state="canceled"], .step[data-status="canceled"] .step-status { color: var(--off-fg); background: var(--off-bg); }
.meta { display: flex; flex-wrap: wrap; gap: 0.15rem 1.25rem; margin: 0.4rem 0 0.6rem; color: var(--muted); font-size: 0.9rem; }
.meta div { display: flex; gap: 0.35em; }
.meta dt::after { content: ":"; }
.meta dd { margin: 0; color: var(--fg); }

.error-box { border: 1px solid var(--err-fg); background: var(--err-bg); color: var(--err-fg); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
.error-box p { margin: 0; }
.error-box .error-message { color: var(--fg); margin-top: 0.2rem; }

.timeline { list-style: none; margin: 0.4rem 0; padding: 0 0 0 0.25rem; }
.step { position: relative; padding: 0.15rem 0 0.35rem 1.4rem; border-left: 2px solid var(--line); }
.step:last-child { border-left-color: transparent; }
.step::before {
  content: ""; position: absolute; left: -7px; top: 0.45rem; width: 12px; height: 12px; border-radius: 50%;
  background: var(--bg); border: 2px solid var(--muted);
}
.step[data-status="ok"]::before { background: var(--ok-fg); border-color: var(--ok-fg); }
.step[data-status="error"]::before { background: var(--err-fg); border-color: var(--err-fg); }
.step[data-status="pending"]::before { border-color: var(--run-fg); }
.step[data-status="canceled"]::before { background: var(--off-bg); border-color: var(--off-fg); }
.step-line { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.2rem 0.6rem; }
.step-name { font-weight: 600; min-width: 7.5rem; }
.step-status { font-size: 0.8rem; font-weight: 600; padding: 0 0.45rem; border-radius: 999px; }
.step-message { color: var(--fg); }
.step time { color: var(--muted); font-size: 0.85rem; margin-left: auto; }
.step-history { margin: 0.2rem 0 0; padding-left: 1.3rem; font-size: 0.92rem; overflow-wrap: anywhere; }
.records { margin: 0.3rem 0 0; font-size: 0.9rem; border-collapse: collapse; }
.records caption { text-align: left; color: var(--muted); }
.records th, .records td { text-align: left; padding: 0.1rem 0.8rem 0.1rem 0; }

.actions { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; margin-top: 0.5rem; }
.action-result { margin: 0; color: var(--muted); }
.noscript { padding: 1rem; }
@media (prefers-reduced-motion: no-preference) {
  .deployment { transition: border-color 0.2s; }
}
.app-view h1 { margin-bottom: 0.25rem; }
.lock-line { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
.app-lock[data-locked="true"] { color: var(--run-fg); background: var(--run-bg); padding: 0.3rem 0.6rem; border-radius: 6px; font-weight: 600; }
.release-progress[data-state="running"] { color: var(--run-fg); }
.release-progress[data-state="succeeded"] { color: var(--ok-fg); }
.release-progress[data-state="failed"] { color: var(--err-fg); }
.releases { border-collapse: collapse; width: 100%; }
.releases th, .releases td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); }
.releases tr[data-live="true"] { background: var(--ok-bg); }
.releases .badge { margin-left: 0.5rem; }
.confirm { border: 1px solid var(--line); border-radius: 8px; max-width: 32rem; color: var(--fg); background: var(--bg); }
.confirm::backdrop { background: rgb(0 0 0 / 0.4); }
`;
