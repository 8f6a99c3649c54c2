// Dashboards: drag a tile onto another to move it there (native HTML5 drag and drop; the arrow
// buttons on each tile do the same from the keyboard), and keep keyboard focus on a tile's button
// after htmx redraws the grid. Polling lives in the tile partials; its pause rule is here.
(() => {
  if (window.eyrieBoards) return;   // show.html includes this script; a redrawn board must not add it twice
  window.eyrieBoards = true;
  window.eyrieDragging = false;     // tiles skip their polling while a drag is on (data-poll, below)
  let dragged = null;

  const tileOf = (el) => el && el.closest && el.closest("#tile-grid.editable > .tile");

  document.addEventListener("dragstart", (e) => {
    const tile = tileOf(e.target);
    if (!tile) return;
    dragged = tile;
    window.eyrieDragging = true;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", tile.dataset.tileId);
    tile.classList.add("dragging");
  });

  document.addEventListener("dragover", (e) => {
    const tile = tileOf(e.target);
    if (!dragged || !tile) return;
    e.preventDefault();             // allows the drop
    e.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".tile.drop-target").forEach((t) => t !== tile && t.classList.remove("drop-target"));
    if (tile !== dragged) tile.classList.add("drop-target");
  });

  document.addEventListener("drop", (e) => {
    const tile = tileOf(e.target);
    if (!dragged || !tile) return;
    e.preventDefault();
    if (tile !== dragged) {
      // The dragged tile takes the target's place: before it when moving back, after it when moving on.
      const tiles = [...tile.parentNode.children];
      const forward = tiles.indexOf(dragged) < tiles.indexOf(tile);
      tile.parentNode.insertBefore(dragged, forward ? tile.nextSibling : tile);
      htmx.trigger(tile.parentNode, "tiles-reordered");   // grid.html posts the hidden tile inputs in page order
    }
    finish();
  });

  document.addEventListener("dragend", finish);

  function finish() {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".tile.drop-target").forEach((t) => t.classList.remove("drop-target"));
    dragged = null;
    window.eyrieDragging = false;
  }

  // A tile polls (data-poll) only while the page is visible and no drag is on; coming back into view
  // redraws it at once. (Here rather than in an hx-trigger filter: filters need eval, which the CSP forbids.)
  document.addEventListener("htmx:confirm", (e) => {
    if (e.detail.elt.matches && e.detail.elt.matches("[data-poll]") &&
        (document.visibilityState !== "visible" || window.eyrieDragging)) e.preventDefault();
  });

  // A tile's arrow button redraws the whole grid: put the focus back on the same button of the moved tile.
  let focusId = null;
  document.addEventListener("htmx:beforeRequest", (e) => {
    const el = document.activeElement;
    if (el && el.id && el.closest(".tile-tools")) focusId = el.id;
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!focusId) return;
    const el = document.getElementById(focusId);
    if (el && document.activeElement !== el) el.focus();
    focusId = null;
  });
})();

// Stale, not silently old: each tile remembers when it last arrived; a tile the server has not
// answered for two refresh periods says so (instead of its old "updated" time), and so does the board.
(() => {
  if (window.eyrieStale) return;
  window.eyrieStale = true;
  const seen = new WeakMap();
  const stamp = (root) => {
    const tiles = root.matches && root.matches(".tile[data-refresh]") ? [root] : root.querySelectorAll(".tile[data-refresh]");
    tiles.forEach((t) => seen.set(t, Date.now()));
  };
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  function check() {
    if (document.visibilityState !== "visible") return;
    let oldest = null;
    document.querySelectorAll(".tile[data-refresh]").forEach((t) => {
      const last = seen.get(t) || Date.now();
      if (!seen.has(t)) seen.set(t, last);
      const stale = Date.now() - last > 2 * Number(t.dataset.refresh) * 1000;
      const note = t.querySelector("[data-updated]");
      if (stale && !t.classList.contains("stale")) {
        t.classList.add("stale");
        if (note) { note.dataset.was = note.textContent; note.textContent = "stale: no answer since " + clock(last); note.classList.add("tile-stale"); }
      }
      if (stale && (oldest === null || last < oldest)) oldest = last;
    });
    const board = document.getElementById("board");
    if (!board) return;
    board.classList.toggle("stale", oldest !== null);
    const since = board.querySelector("[data-stale-since]");
    if (since && oldest !== null) since.textContent = clock(oldest);
  }
  document.addEventListener("DOMContentLoaded", () => stamp(document));
  document.addEventListener("htmx:load", (e) => stamp(e.target));
  // Polling pauses while the tab is hidden: coming back is not a sign the server went away.
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") stamp(document); });
  setInterval(check, 1000);
})();
