/* Eyrie embeds, compatible with StatHat's embed.js: a page that used
     <script src="//www.stathat.com/javascripts/embed.js"></script>
     <script>StatHatEmbed.render({s1: 'KEY', w: 760, h: 235});</script>
   works with only the first script's host changed to this Eyrie server (KEY: the stat's embed key).
   Options: s1, s2, s3 (up to three stats overlaid), w, h, tf (hour day week month half year, each also
   with _compare; or 1h 1d 1w 1M 3M 6M 1y all), style (line fill bar spark mini), title, theme (light dark).
   Each call puts a <div id="statd_embed_graph_{s1}_{s2}_{s3}_{w}_{h}_{tf}_{style}"> holding an <img> of the
   graph right after the calling script (or fills that div if the page already has it).
   render_text (the last value, or a counter's total, with its unit), render_data (a small summary),
   render_table (recent buckets; option rows) and render_histogram (an image) take s1 and tf likewise. */
(function () {
  "use strict";
  if (window.StatHatEmbed && window.StatHatEmbed.eyrie) return;   // loaded twice: keep the first

  function originOf(src) {
    var a = document.createElement("a");
    a.href = src;
    return a.protocol + "//" + a.host;
  }

  var self = document.currentScript;
  if (!self) {   // very old browsers: the last script with our name
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/embed\.js(\?|#|$)/.test(all[i].src)) { self = all[i]; break; }
    }
  }
  var origin = self && self.src ? originOf(self.src) : "";

  function val(v) { return v === undefined || v === null ? "" : String(v); }

  function render(o) {
    o = o || {};
    var caller = document.currentScript;   // the inline script calling us, if any
    var keys = [o.s1, o.s2, o.s3].filter(function (k) { return k; }).map(function (k) {
      return encodeURIComponent(String(k));
    });
    if (!keys.length) { if (window.console) console.warn("StatHatEmbed.render: s1 (an embed key) is required"); return null; }
    var q = [];
    ["w", "h", "tf", "style", "title", "theme"].forEach(function (name) {
      if (o[name] !== undefined && o[name] !== null && o[name] !== "") {
        q.push(name + "=" + encodeURIComponent(String(o[name])));
      }
    });
    var url = origin + "/embed/graph/" + keys.join("/") + ".svg" + (q.length ? "?" + q.join("&") : "");
    var id = "statd_embed_graph_" + [o.s1, o.s2, o.s3, o.w, o.h, o.tf, o.style].map(val).join("_");

    var img = document.createElement("img");
    img.src = url;
    img.alt = o.title ? String(o.title) : "Graph";
    img.decoding = "async";
    img.style.maxWidth = "100%";
    img.style.height = "auto";
    img.style.border = "0";
    if (o.w) img.width = parseInt(o.w, 10) || undefined;
    if (o.h) img.height = parseInt(o.h, 10) || undefined;

    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "statd_embed eyrie-embed";
      var where = o.container ? (typeof o.container === "string" ? document.getElementById(o.container) : o.container) : null;
      if (where) {
        where.appendChild(box);
      } else if (caller && caller.parentNode && caller.parentNode !== document.head) {
        caller.parentNode.insertBefore(box, caller.nextSibling);
      } else if (document.body) {
        document.body.appendChild(box);
      } else {
        document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(box); });
      }
    }
    box.innerHTML = "";
    box.appendChild(img);
    return box;
  }

  // StatHat's other kinds: the box gets text, a summary, a table or a histogram image instead of a graph.
  function query(o, names) {
    var q = [];
    names.forEach(function (name) {
      if (o[name] !== undefined && o[name] !== null && o[name] !== "") q.push(name + "=" + encodeURIComponent(String(o[name])));
    });
    return q.length ? "?" + q.join("&") : "";
  }

  function boxFor(o, kind, caller) {
    var id = "statd_embed_" + kind + "_" + [o.s1, o.w, o.h, o.tf].map(val).join("_");
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement(kind === "text" ? "span" : "div");
      box.id = id;
      box.className = "statd_embed eyrie-embed eyrie-embed-" + kind;
      var where = o.container ? (typeof o.container === "string" ? document.getElementById(o.container) : o.container) : null;
      if (where) where.appendChild(box);
      else if (caller && caller.parentNode && caller.parentNode !== document.head) caller.parentNode.insertBefore(box, caller.nextSibling);
      else if (document.body) document.body.appendChild(box);
    }
    return box;
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function fetchJson(url, box, draw) {
    box.textContent = "…";
    fetch(url, {credentials: "omit"}).then(function (r) {
      if (!r.ok) throw new Error(r.status === 404 ? "unknown embed key" : "error " + r.status);
      return r.json();
    }).then(function (d) { box.textContent = ""; draw(d); }).catch(function (e) {
      box.textContent = "Eyrie: " + e.message;
    });
  }

  function renderKind(kind) {
    return function (o) {
      o = o || {};
      var caller = document.currentScript;
      if (!o.s1) { if (window.console) console.warn("StatHatEmbed.render_" + kind + ": s1 (an embed key) is required"); return null; }
      var box = boxFor(o, kind, caller);
      var base = origin + "/embed/" + kind + "/" + encodeURIComponent(String(o.s1));
      if (kind === "histogram") {
        var img = el("img");
        img.src = base + ".svg" + query(o, ["w", "h", "tf", "title", "theme"]);
        img.alt = o.title ? String(o.title) : "Histogram";
        img.style.maxWidth = "100%";
        if (o.w) img.width = parseInt(o.w, 10) || undefined;
        if (o.h) img.height = parseInt(o.h, 10) || undefined;
        box.innerHTML = "";
        box.appendChild(img);
        return box;
      }
      var url = base + ".json" + query(o, ["tf", "rows"]);
      fetchJson(url, box, function (d) {
        if (kind === "text") { box.textContent = d.text; box.title = d.name + ": " + d.label; return; }
        if (kind === "data") {
          var dl = el("dl", null, "eyrie-embed-data");
          dl.style.cssText = "display:grid;grid-template-columns:auto auto;gap:0 1em;margin:.25em 0";
          var names = {total: "Total", mean: "Mean", min: "Min", max: "Max", last: "Last"};
          Object.keys(names).forEach(function (k) {
            if (d.text[k] === undefined || (k === "total" && d.kind !== "counter")) return;
            dl.appendChild(el("dt", names[k]));
            dl.appendChild(el("dd", d.text[k]));
          });
          dl.appendChild(el("dt", "Data points"));
          dl.appendChild(el("dd", d.count));
          Array.prototype.forEach.call(dl.querySelectorAll("dd"), function (dd) { dd.style.margin = "0"; });
          box.appendChild(el("div", d.name + " · " + d.timeframe, "eyrie-embed-title"));
          box.appendChild(dl);
          return;
        }
        var table = el("table", null, "eyrie-embed-table");
        var head = table.createTHead().insertRow();
        head.appendChild(el("th", "Time"));
        head.appendChild(el("th", d.name));
        var body = table.createTBody();
        d.rows.forEach(function (r) {
          var tr = body.insertRow();
          tr.appendChild(el("td", r.when));
          tr.appendChild(el("td", r.text));
        });
        box.appendChild(table);
      });
      return box;
    };
  }

  window.StatHatEmbed = {
    eyrie: true,
    origin: origin,
    render: render,
    render_graph: render,
    render_histogram: renderKind("histogram"),
    render_data: renderKind("data"),
    render_table: renderKind("table"),
    render_text: renderKind("text")
  };
})();
