/**
 * The console's one stylesheet, served as a file (the Content-Security-Policy allows no
 * inline style). System fonts, no images: nothing to fetch but this.
 */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de;
  --accent: #0a58ca; --ok: #116329; --warn: #7d4e00; --bad: #b3261e; font-family: system-ui, sans-serif; line-height: 1.45; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --panel: #161b22; --line: #30363d;
  --accent: #6cb6ff; --ok: #56d364; --warn: #e3b341; --bad: #ff7b72; } }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
/* Read by screen readers, not shown. */
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
header.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; color: var(--fg); }
header.top .who { margin-left: auto; display: flex; gap: .6rem; align-items: center; color: var(--muted); }
main { padding: 1rem; max-width: 80rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .6rem; overflow: auto; }
form.inline { display: inline; }
form.stack { display: grid; gap: .7rem; max-width: 28rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-bottom: 1rem; }
label { display: grid; gap: .2rem; font-weight: 600; }
label .hint, .hint { font-weight: 400; color: var(--muted); font-size: .9em; }
input, select, textarea { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--muted); border-radius: 4px; padding: .35rem .5rem; }
button { font: inherit; cursor: pointer; border: 1px solid var(--accent); background: var(--accent); color: var(--bg); border-radius: 4px; padding: .35rem .8rem; }
button.quiet { background: transparent; color: var(--accent); }
.state { font-weight: 600; }
.state-serving { color: var(--ok); }
.state-degraded { color: var(--warn); }
.state-invalid, .state-unavailable { color: var(--bad); }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); background: var(--panel); padding: .6rem .8rem; margin: 0 0 1rem; }
.notice.error { border-left-color: var(--bad); }
.notice.ok { border-left-color: var(--ok); }
.secret { font-family: ui-monospace, monospace; font-size: 1.1em; user-select: all; }
form.stack.wide { max-width: none; }
fieldset { border: 1px solid var(--line); border-radius: 4px; padding: .6rem .8rem; }
legend { font-weight: 600; padding: 0 .3rem; }
label.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
form.editor { display: grid; gap: .5rem; }
form.editor textarea { width: 100%; font-family: ui-monospace, monospace; font-size: .9rem; line-height: 1.4; tab-size: 2; }
.buttons { display: flex; gap: .6rem; }
ul.issues { padding-left: 1.2rem; }
li.issue-error code { color: var(--bad); }
li.issue-warning code { color: var(--warn); }
pre.diff .add { color: var(--ok); }
pre.diff .del { color: var(--bad); }
pre.diff .hunk { color: var(--muted); }
svg.chart { width: 100%; max-width: 60rem; height: auto; display: block; }
svg.chart .axis { stroke: var(--line); }
svg.chart .tick { fill: var(--muted); font-size: 10px; }
svg.chart .bar { fill: var(--accent); }
svg.chart .bar-bad { fill: var(--bad); }
svg.chart .line { stroke-width: 2; vector-effect: non-scaling-stroke; }
svg.chart .line-0 { stroke: var(--accent); }
svg.chart .line-1 { stroke: var(--warn); }
svg.chart .dot-0 { fill: var(--accent); }
svg.chart .dot-1 { fill: var(--warn); }
svg.chart .marker { stroke: var(--fg); stroke-dasharray: 4 3; vector-effect: non-scaling-stroke; }
.legend { display: flex; gap: .4rem 1rem; align-items: center; flex-wrap: wrap; margin: .2rem 0; color: var(--muted); }
.swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: middle; margin-right: .2rem; }
.swatch.bar { background: var(--accent); }
.swatch.bar-bad { background: var(--bad); }
.swatch.marker { border-left: 2px dashed var(--fg); width: .3rem; }
.swatch.line-0 { border-top: 3px solid var(--accent); height: 0; }
.swatch.line-1 { border-top: 3px solid var(--warn); height: 0; }
fieldset.inline { display: flex; gap: .6rem; align-items: center; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.muted { color: var(--muted); }
`;
