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
