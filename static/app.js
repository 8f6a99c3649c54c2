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

// Live views poll only while the tab is shown, and catch up at once when it is shown again.
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
