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
