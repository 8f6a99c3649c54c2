// Small behaviours that htmx does not cover: copy buttons and select-all checkboxes.
document.addEventListener("click", (e) => {
  const btn = e.target.closest("[data-copy]");
  if (!btn) return;
  const src = document.getElementById(btn.dataset.copy);
  if (!src) return;
  navigator.clipboard.writeText(src.innerText).then(() => {
    const old = btn.textContent; btn.textContent = "Copied"; setTimeout(() => (btn.textContent = old), 1200);
  });
});
document.addEventListener("change", (e) => {
  if (e.target.matches("[data-select-all]")) {
    document.querySelectorAll(e.target.dataset.selectAll).forEach((c) => (c.checked = e.target.checked));
  }
});

// Behaviours the templates ask for with data- attributes. They live here, not in hx-on attributes or
// inline scripts, so the Content-Security-Policy can forbid inline script and eval (htmx's hx-on and
// trigger filters need eval; htmx-config sets allowEval false).

// data-swap-400[="selector"]: swap a 400 answer (a form with its error in it) into the target, which
// must match the selector when one is given.
document.addEventListener("htmx:beforeSwap", (e) => {
  const host = e.target.closest && e.target.closest("[data-swap-400]");
  if (!host || e.detail.xhr.status !== 400) return;
  const only = host.dataset.swap400;
  if (only && !e.detail.target.matches(only)) return;
  e.detail.shouldSwap = true;
  e.detail.isError = false;
});

// data-skip-change="name": a change of that field does not send the form (a filter box, say).
document.addEventListener("htmx:confirm", (e) => {
  const skip = e.detail.elt.dataset && e.detail.elt.dataset.skipChange, ev = e.detail.triggeringEvent;
  if (skip && ev && ev.type === "change" && ev.target && ev.target.name === skip) e.preventDefault();
});

// data-reset-on-success: empty the form once its own request succeeded.
document.addEventListener("htmx:afterRequest", (e) => {
  const form = e.detail.elt;
  if (e.detail.successful && form.matches && form.matches("form[data-reset-on-success]")) form.reset();
});

// data-open="id": open that <details> (the link's own #anchor still scrolls to it).
document.addEventListener("click", (e) => {
  const link = e.target.closest("[data-open]");
  const target = link && document.getElementById(link.dataset.open);
  if (target) target.open = true;
});

// data-guess-timezone: preselect the browser's own timezone when it is in the list.
document.querySelectorAll("select[data-guess-timezone]").forEach((s) => {
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && [...s.options].some((o) => o.value === tz)) s.value = tz;
  } catch (err) { /* no Intl: keep UTC */ }
});

// The phone menu: the button shows and hides the nav (CSS keeps it open where there is room).
(() => {
  const bar = document.querySelector(".topbar");
  const btn = bar && bar.querySelector(".menu-toggle");
  if (!btn) return;
  btn.hidden = false;
  bar.classList.add("menu-ready");
  btn.addEventListener("click", () => {
    const open = bar.classList.toggle("menu-open");
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && bar.classList.contains("menu-open")) {
      bar.classList.remove("menu-open"); btn.setAttribute("aria-expanded", "false"); btn.focus();
    }
  });
})();

// Graphs are drawn on the server for the width they are shown at: every GET made from inside a
// [data-graph-width] container carries the shown width (w=), and the container redraws once after
// the first load when the server guessed a width far from the real one (a phone).
window.eyrieGraphWidth = (el) => {
  const box = el && el.querySelector("[data-graph-box]");
  return box ? Math.round(box.clientWidth) : undefined;
};
document.addEventListener("htmx:configRequest", (e) => {
  const view = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("[data-graph-width]");
  const w = window.eyrieGraphWidth(view);
  if (view && w && e.detail.verb === "get") e.detail.parameters.w = w;
});
function fitGraphs(root) {
  (root || document).querySelectorAll("[data-graph-width]").forEach((el) => {
    const box = el.querySelector("[data-graph-box]");
    const drawn = Number(el.dataset.graphWidth);
    if (!box || !drawn || !box.clientWidth) return;
    if (Math.abs(box.clientWidth - drawn) / drawn > 0.2 && window.htmx) htmx.trigger(el, "eyrie-resize");
  });
}
document.addEventListener("DOMContentLoaded", () => fitGraphs());
let resizeTimer;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => fitGraphs(), 400); });

// Live views ([data-live]="seconds") poll only while the tab is shown, and catch up at once when it
// is shown again. A timer here, not an htmx trigger filter: the CSP forbids the eval filters need.
setInterval(() => {
  if (document.visibilityState !== "visible" || !window.htmx) return;
  const t = Date.now();
  document.querySelectorAll("[data-live]").forEach((el) => {
    const every = Number(el.dataset.live) * 1000;
    if (!every) return;
    if (!el.eyrieSeen) { el.eyrieSeen = t; return; }
    if (t - el.eyrieSeen >= every) { el.eyrieSeen = t; htmx.trigger(el, "eyrie-tick"); }
  });
}, 1000);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible" || !window.htmx) return;
  document.querySelectorAll("[data-live]").forEach((el) => htmx.trigger(el, "eyrie-resume"));
});

// Forms that act on selected rows say so before sending nothing.
document.addEventListener("htmx:confirm", (e) => {
  const btn = e.target.closest("[data-needs-selection]");
  if (!btn) return;
  const form = btn.closest("form");
  if (form && !form.querySelector(btn.dataset.needsSelection + ":checked")) {
    e.preventDefault();
    const note = document.getElementById(btn.getAttribute("aria-describedby") || "");
    if (note) { note.hidden = false; note.textContent = "Select the stats to delete first."; }
  }
});

// The alert form on the alerts page: the threshold shows the chosen stat's unit.
document.addEventListener("change", (e) => {
  if (!e.target.matches("select[data-unit-select]")) return;
  const unit = e.target.selectedOptions[0]?.dataset.unit || "";
  e.target.closest("form").querySelectorAll("[data-unit-label]").forEach((el) => (el.textContent = unit));
});

// Signing up: preselect the browser's own timezone.
(() => {
  const sel = document.querySelector("select[data-guess-timezone]");
  if (!sel) return;
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && [...sel.options].some((o) => o.value === tz)) sel.value = tz;
  } catch (e) { /* an old browser: UTC stays */ }
})();

// A form answered with an error: the focus goes to its first marked field.
document.addEventListener("htmx:afterSettle", (e) => {
  const bad = e.detail.elt && e.detail.elt.querySelector && e.detail.elt.querySelector("[aria-invalid='true']");
  if (bad && typeof bad.focus === "function") bad.focus();
});

// data-drops-range: picking a timeframe there drops a zoom's start/end from its form. In the capture
// phase, so the fields are gone before htmx's own change listener collects the form.
document.addEventListener("change", (e) => {
  const box = e.target.closest && e.target.closest("[data-drops-range]");
  if (box && box.form) box.form.querySelectorAll("input[name=start], input[name=end]").forEach((el) => el.remove());
}, true);

// data-limit-checked (with data-max): once that many boxes are ticked, the others are disabled
// (not ticked and then refused), so the graph stays.
document.addEventListener("change", (e) => {
  const group = e.target.closest && e.target.closest("[data-limit-checked]");
  if (!group) return;
  const max = Number(group.dataset.max);
  const full = group.querySelectorAll("input[name=s]:checked").length >= max;
  group.querySelectorAll("input[name=s]").forEach((b) => {
    b.disabled = full && !b.checked;
    b.closest("label").title = b.disabled ? `Untick a stat first: at most ${max} on one graph` : "";
  });
});
