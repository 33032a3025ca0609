/**
 * The stylesheet and the one script of the looking glass, served from the same origin
 * (the CSP allows nothing else) and kept in the program so a compiled binary has them.
 *
 * @module
 */

/** `/static/style.css`. */
export const STYLE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #fafafa; }
header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.2em; background: #1d3557; }
header a { color: #f1faee; text-decoration: none; }
header .brand { font-weight: 700; font-size: 1.2em; }
header nav { display: flex; gap: 1em; }
header .search { margin-left: auto; }
main { padding: 0 1.2em 2em; }
h1 { font-size: 1.4em; }
h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; background: #fff; margin: .4em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.error { border: 1px solid #c1121f; background: #fde8e8; padding: .6em 1em; color: #7a0c14; }
.note { color: #57606a; font-size: .9em; }
details.sql { margin: .4em 0 1em; }
details.sql pre { background: #f3f4f6; padding: .6em; overflow-x: auto; }
.chart { background: #fff; border: 1px solid #d0d7de; max-width: 100%; height: auto; }
.chart .label, .chart .tick { font-size: 11px; fill: #57606a; }
.chart .tick.end { text-anchor: end; }
.chart .axis { stroke: #d0d7de; }
.mark.announce, .bar.announcements { fill: #2a9d8f; }
.mark.path-change { fill: #e9c46a; stroke: #8a6d00; }
.mark.withdraw { stroke: #c1121f; stroke-width: 2; fill: none; }
.bar.withdrawals { fill: #c1121f; }
.bar.routes { fill: #457b9d; }
.key.announce { color: #2a9d8f; } .key.withdraw { color: #c1121f; } .key.path-change { color: #8a6d00; }
.state-up { color: #2a7d2a; } .state-down { color: #c1121f; }
`;

/** `/static/copy.js`: the copy button of each SQL block. */
export const COPY_JS = `
document.addEventListener("click", (e) => {
  const b = e.target.closest("button.copy");
  if (!b) return;
  const code = b.parentElement.querySelector("pre code");
  navigator.clipboard.writeText(code.textContent).then(
    () => { b.textContent = "Copied"; },
    () => { b.textContent = "Select and copy"; },
  );
});
`;
