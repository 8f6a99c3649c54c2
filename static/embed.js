/* Eyrie embeds, compatible with StatHat's embed.js: a page that used
     <script src="//www.stathat.com/javascripts/embed.js"></script>
     <script>StatHatEmbed.render({s1: 'KEY', w: 760, h: 235});</script>
   works with only the first script's host changed to this Eyrie server (KEY: the stat's embed key).
   Options: s1, s2, s3 (up to three stats overlaid), w, h, tf (hour day week month half year, each also
   with _compare; or 1h 1d 1w 1M 3M 6M 1y all), style (line fill bar spark mini), title, theme (light dark).
   Each call puts a <div id="statd_embed_graph_{s1}_{s2}_{s3}_{w}_{h}_{tf}_{style}"> holding an <img> of the
   graph right after the calling script (or fills that div if the page already has it). */
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

  function unsupported(kind) {
    return function (o) {
      if (window.console) console.warn("Eyrie embeds draw graphs only; render_" + kind + " draws the graph instead");
      return render(o);
    };
  }

  window.StatHatEmbed = {
    eyrie: true,
    origin: origin,
    render: render,
    render_graph: render,
    render_histogram: unsupported("histogram"),
    render_data: unsupported("data"),
    render_table: unsupported("table"),
    render_text: unsupported("text")
  };
})();
