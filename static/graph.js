/* Eyrie graphs you can explore: hover or tap for a crosshair with the time and every series' value,
   arrow keys to step through the points, drag across to zoom into that range.

   The graphs stay server-rendered: each SVG carries its data in <metadata class="eyrie-data"> (pixel
   positions, the values already in Eyrie's number format, the times in the account's zone, the alert
   marks; see app/graphs.py), and this script only reads it. A wrapper opts in with data-graph;
   data-zoom="URL" (or "here": this page's URL) turns drags into a zoom (start/end in the URL), and
   data-zoom-target="#id" swaps only that element with htmx, pushing the URL. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var DRAG_MIN = 8;   // SVG units: a shorter drag is a tap

  function svgEl(name, attrs) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function nearest(xs, x) {
    var best = -1, dist = Infinity;
    for (var i = 0; i < xs.length; i++) {
      var d = Math.abs(xs[i] - x);
      if (d < dist) { dist = d; best = i; }
    }
    return best;
  }

  function zoomUrl(box, t0, t1) {
    var base = box.getAttribute("data-zoom");
    var u = new URL(base === "here" ? window.location.href : base, window.location.href);
    ["tf", "start", "end"].forEach(function (k) { u.searchParams.delete(k); });
    u.searchParams.set("start", String(Math.floor(t0)));
    u.searchParams.set("end", String(Math.ceil(t1)));
    return u.pathname + u.search;
  }

  function go(box, url) {
    var target = box.getAttribute("data-zoom-target");
    if (!window.htmx || !target) { window.location.assign(url); return; }
    // A throwaway link htmx knows how to follow: the swap and the pushed URL go through htmx's own history.
    var a = document.createElement("a");
    a.href = url;
    a.hidden = true;
    a.setAttribute("hx-get", url);
    a.setAttribute("hx-target", target);
    a.setAttribute("hx-swap", "outerHTML");
    a.setAttribute("hx-push-url", "true");
    document.body.appendChild(a);
    window.htmx.process(a);
    a.click();
    setTimeout(function () { a.remove(); }, 0);
  }

  function init(box) {
    if (box.eyrieGraph) return;
    var svg = box.querySelector("svg");
    var meta = svg && svg.querySelector("metadata.eyrie-data");
    if (!meta) return;
    var data;
    try { data = JSON.parse(meta.textContent); } catch (e) { return; }
    if (!data.series || !data.series.length) return;
    box.eyrieGraph = true;

    var P = data.plot, left = P[0], top = P[1], width = P[2], height = P[3];
    var lead = data.series.filter(function (s) { return !s.dashed; })[0] || data.series[0];
    var xs = lead.x.map(function (x) { return x + left; });
    var canZoom = box.hasAttribute("data-zoom") && box.getAttribute("data-zoom") !== "off";

    var layer = svgEl("g", {"class": "eyrie-hover", "pointer-events": "none", visibility: "hidden"});
    var band = svgEl("rect", {"class": "eyrie-band", x: 0, y: top, width: 0, height: height, visibility: "hidden"});
    var line = svgEl("line", {"class": "eyrie-crosshair", x1: 0, x2: 0, y1: top, y2: top + height});
    var dots = data.series.map(function (s) {
      var c = svgEl("circle", {r: 3.5, fill: s.color, "class": "eyrie-hover-dot"});
      layer.appendChild(c);
      return c;
    });
    layer.insertBefore(line, layer.firstChild);
    svg.appendChild(band);
    svg.appendChild(layer);

    var tip = document.createElement("div");
    tip.className = "graph-tip";
    tip.hidden = true;
    box.appendChild(tip);
    var live = document.createElement("div");
    live.className = "sr-only";
    live.setAttribute("aria-live", "polite");
    box.appendChild(live);

    if (!box.hasAttribute("tabindex")) box.tabIndex = 0;
    if (!box.hasAttribute("aria-label")) {
      box.setAttribute("aria-label", "Graph: arrow keys step through the points" + (canZoom ? ", drag to zoom" : ""));
    }

    var current = -1;

    function toSvgX(clientX) {
      var m = svg.getScreenCTM();
      if (!m) return null;
      var p = svg.createSVGPoint();
      p.x = clientX; p.y = 0;
      return p.matrixTransform(m.inverse()).x;
    }

    function toTime(x) {
      return data.t0 + (Math.min(Math.max(x, left), left + width) - left) / width * (data.t1 - data.t0);
    }

    function show(i) {
      if (i < 0 || i >= xs.length) return;
      current = i;
      var x = xs[i];
      line.setAttribute("x1", x); line.setAttribute("x2", x);
      var rows = [], said = [lead.when[i]];
      data.series.forEach(function (s, k) {
        var j = s === lead ? i : nearest(s.x.map(function (v) { return v + left; }), x);
        var y = j < 0 ? null : s.y[j];
        if (y === null || y === undefined) {
          dots[k].setAttribute("visibility", "hidden");
        } else {
          dots[k].setAttribute("visibility", "visible");
          dots[k].setAttribute("cx", s.x[j] + left);
          dots[k].setAttribute("cy", y + top);
        }
        var text = j < 0 || s.text[j] === null ? "no data" : s.text[j];
        var when = s.dashed && j >= 0 ? " <span class=\"graph-tip-when\">" + esc(s.when[j]) + "</span>" : "";
        rows.push("<div class=\"graph-tip-row\"><span class=\"graph-tip-key" + (s.dashed ? " dashed" : "") +
                  "\" style=\"border-color:" + esc(s.color) + "\"></span>" + esc(s.name) + when +
                  " <strong>" + esc(text) + "</strong></div>");
        said.push(s.name + " " + text);
      });
      var half = xs.length > 1 ? Math.abs(xs[1] - xs[0]) / 2 : width;
      (data.marks || []).forEach(function (m) {
        if (Math.abs(m.x + left - x) <= half) {
          rows.push("<div class=\"graph-tip-mark " + esc(m.kind) + "\">" + esc(m.label) + "</div>");
          said.push(m.label);
        }
      });
      tip.innerHTML = "<div class=\"graph-tip-time\">" + esc(lead.when[i]) + "</div>" + rows.join("");
      tip.hidden = false;
      layer.setAttribute("visibility", "visible");
      place(x);
      return said.join(", ");
    }

    function place(x) {
      var m = svg.getScreenCTM();
      var b = box.getBoundingClientRect();
      if (!m) return;
      var p = svg.createSVGPoint();
      p.x = x; p.y = top;
      var c = p.matrixTransform(m);
      var px = c.x - b.left, w = tip.offsetWidth;
      var leftPx = px + 12 + w > b.width ? px - 12 - w : px + 12;
      tip.style.left = Math.max(0, leftPx) + "px";
      tip.style.top = Math.max(0, c.y - b.top) + "px";
    }

    function hide() {
      tip.hidden = true;
      layer.setAttribute("visibility", "hidden");
    }

    function esc(s) {
      return String(s).replace(/[&<>"]/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c];
      });
    }

    var drag = null;
    svg.addEventListener("pointermove", function (e) {
      var x = toSvgX(e.clientX);
      if (x === null) return;
      if (drag) {
        drag.x1 = Math.min(Math.max(x, left), left + width);
        band.setAttribute("x", Math.min(drag.x0, drag.x1));
        band.setAttribute("width", Math.abs(drag.x1 - drag.x0));
        band.setAttribute("visibility", "visible");
      }
      show(nearest(xs, x));
    });
    svg.addEventListener("pointerleave", function (e) {
      // A finger lifts off (and "leaves") right after a tap: keep what the tap showed until a tap elsewhere.
      if (!drag && e.pointerType !== "touch" && document.activeElement !== box) hide();
    });
    document.addEventListener("pointerdown", function (e) {
      if (!box.contains(e.target)) hide();
    });
    svg.addEventListener("pointerdown", function (e) {
      var x = toSvgX(e.clientX);
      if (x === null || x < left || x > left + width) return;
      show(nearest(xs, x));   // a tap (touch screens have no hover) shows the values too
      if (!canZoom || e.button !== 0) return;
      drag = {x0: x, x1: x};
      if (svg.setPointerCapture) svg.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    function endDrag() {
      if (!drag) return;
      var d = drag;
      drag = null;
      band.setAttribute("visibility", "hidden");
      if (Math.abs(d.x1 - d.x0) < DRAG_MIN) return;
      var t0 = toTime(Math.min(d.x0, d.x1)), t1 = toTime(Math.max(d.x0, d.x1));
      go(box, zoomUrl(box, t0, t1));
    }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", function () { drag = null; band.setAttribute("visibility", "hidden"); });

    box.addEventListener("focus", function () { live.textContent = show(current < 0 ? xs.length - 1 : current) || ""; });
    box.addEventListener("blur", hide);
    box.addEventListener("keydown", function (e) {
      var i = current < 0 ? xs.length - 1 : current;
      var step = {ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10}[e.key];
      if (step) i = Math.min(Math.max(i + step, 0), xs.length - 1);
      else if (e.key === "Home") i = 0;
      else if (e.key === "End") i = xs.length - 1;
      else if (e.key === "Escape") { hide(); return; }
      else return;
      e.preventDefault();
      live.textContent = show(i) || "";
    });
  }

  function scan(root) {
    var boxes = (root.matches && root.matches("[data-graph]")) ? [root] : [];
    boxes = boxes.concat(Array.prototype.slice.call((root.querySelectorAll ? root : document).querySelectorAll("[data-graph]")));
    boxes.forEach(init);
  }

  window.EyrieGraph = {scan: scan};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { scan(document); });
  else scan(document);
  document.addEventListener("htmx:load", function (e) { scan(e.target); });
})();
