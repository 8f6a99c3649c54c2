// Dev server only: reload the page when a template or static file changes, or the server restarts.
(function () {
  let boot = null;
  const since = document.currentScript && document.currentScript.dataset.version;
  function connect() {
    const es = new EventSource("/dev/reload" + (since ? "?since=" + since : ""));
    es.addEventListener("hello", (e) => {
      if (boot && boot !== e.data) location.reload();
      boot = e.data;
    });
    es.addEventListener("reload", () => location.reload());
    es.onerror = () => { es.close(); setTimeout(connect, 500); };
  }
  connect();
})();
