/**
 * The portal's one stylesheet and one small script, served from memory with long caching.
 * The CSS uses logical properties (inline-start/end) so the same rules lay out right to left
 * in Arabic and left to right in English. Colours meet WCAG AA contrast on their backgrounds,
 * every status says its word as well as its colour, and focus is always visible.
 */
export const portalCss = `
:root{--ink:#1b1f24;--muted:#4a5360;--brand:#0b5d3b;--brand-ink:#fff;--line:#c9ced6;--bg:#f6f7f9;--focus:#0b57d0}
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Naskh Arabic","Segoe UI",Tahoma,system-ui,sans-serif;color:var(--ink);background:var(--bg);line-height:1.6}
a{color:#0b4f8a}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;inset-inline-start:-999px;top:0;background:#fff;padding:.5rem 1rem}
.skip:focus{inset-inline-start:1rem;z-index:10}
header.site{background:var(--brand);color:var(--brand-ink);padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
header.site a{color:var(--brand-ink)}
header.site .brand{font-weight:700;font-size:1.15rem;text-decoration:none}
header.site nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.9rem}
header.site .tools{margin-inline-start:auto;display:flex;gap:.8rem;align-items:center}
header.site button{background:transparent;color:var(--brand-ink);border:1px solid var(--brand-ink);border-radius:4px;padding:.2rem .7rem;cursor:pointer;font:inherit}
main{max-width:72rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
section.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.2rem;margin-block-end:1.2rem}
form.stack{display:grid;gap:.9rem;max-width:34rem}
form.inline{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-end}
.field{display:grid;gap:.25rem}
.field label{font-weight:600}
.field .hint{color:var(--muted);font-size:.9rem}
.field .problem{color:#a1120e;font-weight:600}
input,select,textarea{font:inherit;padding:.45rem .6rem;border:1px solid #7d8590;border-radius:4px;background:#fff;color:var(--ink)}
input[aria-invalid=true],select[aria-invalid=true]{border:2px solid #a1120e}
.check{display:flex;gap:.5rem;align-items:center}
button.primary,a.button{background:var(--brand);color:#fff;border:0;border-radius:4px;padding:.55rem 1.2rem;font:inherit;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:var(--brand);border:1px solid var(--brand);border-radius:4px;padding:.5rem 1.1rem;font:inherit;cursor:pointer}
.alert{border-radius:6px;padding:.7rem 1rem;margin-block-end:1rem;border:1px solid}
.alert.error{background:#fde8e7;border-color:#a1120e;color:#5f0b08}
.alert.ok{background:#e4f3ea;border-color:#0b5d3b;color:#073b25}
.alert code{font-size:.85rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-block-end:1px solid var(--line);padding:.45rem .6rem;text-align:start;vertical-align:top}
th{background:#eef1f4}
td.amount,th.amount{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot td{font-weight:700}
.table-wrap{overflow-x:auto}
.status{display:inline-block;border-radius:999px;padding:.05rem .7rem;font-weight:700;font-size:.9rem;border:1px solid}
.status.PAID{background:#e4f3ea;color:#0a5a32;border-color:#0a5a32}
.status.PARTIALLY_PAID{background:#fff3d6;color:#6b4200;border-color:#6b4200}
.status.UNPAID{background:#fde8e7;color:#8f110c;border-color:#8f110c}
.status.OVERDUE{background:#8f110c;color:#fff;border-color:#8f110c}
.status.NOT_YET_BILLED,.status.BEFORE_RECORDS{background:#eef1f4;color:#39414c;border-color:#39414c}
.status.OPEN,.status.ISSUED,.status.PLANNING,.status.STAGING,.status.ISSUING{background:#e8f0fb;color:#0b3f7a;border-color:#0b3f7a}
.status.SETTLED,.status.COMPLETED,.status.SUCCEEDED{background:#e4f3ea;color:#0a5a32;border-color:#0a5a32}
.status.VOID,.status.FAILED,.status.EXPIRED,.status.WAIVED{background:#eef1f4;color:#39414c;border-color:#39414c}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr))}
.figure{font-size:1.4rem;font-weight:700}
.muted{color:var(--muted)}
.captcha img{background:#fff;border:1px solid var(--line);border-radius:4px;height:60px}
.steps{display:flex;gap:.5rem;list-style:none;padding:0;margin:0 0 1rem}
.steps li{padding:.2rem .8rem;border-radius:999px;background:#e3e6ea}
.steps li[aria-current=step]{background:var(--brand);color:#fff}
.chart svg{max-width:100%;height:auto;background:#fff}
.progress{width:100%;height:1.2rem}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center}
.pager{display:flex;gap:1rem;margin-top:.8rem}
@media print{header.site,.no-print{display:none}}
`;

/**
 * Progressive enhancement only: elements with data-poll-url refresh their figures from the
 * API's JSON (the session cookie authenticates it) until the run is finished. Without script
 * the page's noscript refresh does the same.
 */
export const portalJs = `
document.querySelectorAll("[data-poll-url]:not([data-finished])").forEach(function (box) {
  var url = box.getAttribute("data-poll-url");
  var shownStatus = box.getAttribute("data-status");
  var digits = new Intl.NumberFormat(document.documentElement.lang === "ar" ? "ar-SA" : "en-GB");
  function update() {
    fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        if (!run) return setTimeout(update, 5000);
        // A new status is worded by the server in the page's language: load the page again.
        if (run.status !== shownStatus) return location.reload();
        box.querySelectorAll("[data-field]").forEach(function (cell) {
          var path = cell.getAttribute("data-field").split(".");
          var value = run;
          for (var i = 0; i < path.length && value != null; i++) value = value[path[i]];
          if (typeof value === "number") cell.textContent = digits.format(value);
        });
        var bar = box.querySelector("progress");
        if (bar && run.progress) bar.value = run.progress.percent;
        setTimeout(update, 1500);
      })
      .catch(function () { setTimeout(update, 5000); });
  }
  update();
});
`;
