"""The "Send data" page: copy-paste snippets filled with the account's real keys and this server's URL.

Every snippet is built here as plain text, with each key quoted the way its language wants it (a key
may hold quotes, `$`, `#{`, backslashes...); the template only HTML-escapes the text.
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from dataclasses import dataclass
from urllib.parse import urlparse

from app.errors import NotFound
from app.storage import accounts as q
from app.storage import stats as sq

COUNT_STAT = "signups"
VALUE_STAT = "response time"
NO_STAT_KEY = "STAT_KEY"   # placeholder until the account has a stat


@dataclass(frozen=True)
class Keys:
    base: str
    ezkey: str
    ukey: str
    counter_key: str     # a counter stat's classic key, or the placeholder
    value_key: str       # a value stat's classic key, or the placeholder
    counter_name: str
    value_name: str


# -- quoting per language -----------------------------------------------------------------------

def sh(s: str) -> str:
    return shlex.quote(s)


def js(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


# JSON's string escapes (\" \\ \n \t \b \f \uXXXX) are all valid in Python and Go double-quoted strings too.
py = go = js


def single(s: str) -> str:
    """A single-quoted Ruby or PHP string: only \\ and ' are special, so no interpolation."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


# -- snippets -----------------------------------------------------------------------------------
# Each snippet is its code with «name» markers; fill() puts in the values quoted for the language
# («name!» puts one in as it is: for comments).

_MARK = re.compile(r"«(\w+)(!?)»")


def fill(code: str, quote, k: Keys, **extra) -> str:
    values = {"base": k.base, "ez": k.base + "/ez", "c": k.base + "/c", "v": k.base + "/v", "ezkey": k.ezkey,
              "ukey": k.ukey, "ckey": k.counter_key, "vkey": k.value_key, "cstat": COUNT_STAT, "vstat": VALUE_STAT,
              "cname": k.counter_name, "vname": k.value_name, **extra}

    def put(m: re.Match) -> str:
        value = values[m.group(1)]
        return " ".join(value.split()) if m.group(2) else quote(value)

    return _MARK.sub(put, textwrap.dedent(code).strip("\n"))


CURL_EZ = """
    # Count: add 1 to "signups" (the EZ API makes a stat on its first post)
    curl --data-urlencode «ezkey_p» --data-urlencode «cstat_p» -d count=1 \\
      «ez»

    # Value, with an optional unix timestamp t
    curl --data-urlencode «ezkey_p» --data-urlencode «vstat_p» -d value=0.375 -d t=$(date +%s) \\
      «ez»
"""
CURL_CLASSIC = """
    # Count on «cname!»
    curl --data-urlencode «ukey_p» --data-urlencode «ckey_p» -d count=1 \\
      «c»

    # Value on «vname!»
    curl --data-urlencode «ukey_p» --data-urlencode «vkey_p» -d value=0.375 \\
      «v»
"""
PY_EZ = """
    import time

    import requests

    EYRIE = «base»
    EZKEY = «ezkey»

    requests.post(EYRIE + "/ez", data={"ezkey": EZKEY, "stat": «cstat», "count": 1}, timeout=5)
    requests.post(EYRIE + "/ez", data={"ezkey": EZKEY, "stat": «vstat», "value": 0.375,
                                       "t": int(time.time())}, timeout=5)
"""
PY_CLASSIC = """
    import requests

    EYRIE = «base»
    UKEY = «ukey»

    requests.post(EYRIE + "/c", data={"ukey": UKEY, "key": «ckey», "count": 1}, timeout=5)
    requests.post(EYRIE + "/v", data={"ukey": UKEY, "key": «vkey», "value": 0.375}, timeout=5)
"""
PY_LIB = """
    # pip install stathat   (0.0.2 by Kenneth Reitz; installing it needs setuptools<58)
    import requests
    import stathat

    sh = stathat.StatHat(«ezkey»)
    sh.STATHAT_URL = «base»   # instead of https://api.stathat.com
    # 0.0.2 passes `prefetch=`, which requests >= 1.0 refuses: drop it.
    sh.session.post = lambda url, data=None, prefetch=None: requests.post(url, data=data, timeout=5)

    sh.count(«cstat», 1)
    sh.value(«vstat», 0.375)
"""
JS_NODE = """
    // Node 18+ (fetch is built in)
    const EYRIE = «base»;
    const EZKEY = «ezkey»;

    async function count(stat, n = 1) {
      const body = new URLSearchParams({ ezkey: EZKEY, stat, count: n });
      await fetch(EYRIE + "/ez", { method: "POST", body });
    }
    async function value(stat, v, t = Math.floor(Date.now() / 1000)) {
      const body = new URLSearchParams({ ezkey: EZKEY, stat, value: v, t });
      await fetch(EYRIE + "/ez", { method: "POST", body });
    }

    await count(«cstat»);
    await value(«vstat», 0.375);
"""
JS_BROWSER = """
    // In a browser, use the classic API: its keys only post to that one stat.
    // no-cors: the page cannot read the reply, and does not need to.
    const body = new URLSearchParams({
      ukey: «ukey»,
      key: «ckey»,
      count: 1,
    });
    fetch(«c», { method: "POST", mode: "no-cors", body, keepalive: true });
"""
GO_EZ = """
    package main

    import (
    \t"log"
    \t"net/http"
    \t"net/url"
    \t"strconv"
    \t"time"
    )

    const eyrie = «base»
    const ezkey = «ezkey»

    func post(path string, form url.Values) {
    \tresp, err := http.PostForm(eyrie+path, form)
    \tif err != nil {
    \t\tlog.Print(err)
    \t\treturn
    \t}
    \tresp.Body.Close()
    }

    func main() {
    \tpost("/ez", url.Values{"ezkey": {ezkey}, "stat": {«cstat»}, "count": {"1"}})
    \tpost("/ez", url.Values{"ezkey": {ezkey}, "stat": {«vstat»}, "value": {"0.375"},
    \t\t"t": {strconv.FormatInt(time.Now().Unix(), 10)}})
    }
"""
GO_CLASSIC = """
    // With post() from the EZ example: classic posts carry the user key and the stat's key.
    const ukey = «ukey»

    post("/c", url.Values{"ukey": {ukey}, "key": {«ckey»}, "count": {"1"}})
    post("/v", url.Values{"ukey": {ukey}, "key": {«vkey»}, "value": {"0.375"}})
"""
RUBY_EZ = """
    require "net/http"

    EYRIE = «base»
    EZKEY = «ezkey»

    Net::HTTP.post_form(URI(EYRIE + "/ez"), "ezkey" => EZKEY, "stat" => «cstat», "count" => 1)
    Net::HTTP.post_form(URI(EYRIE + "/ez"), "ezkey" => EZKEY, "stat" => «vstat»,
                        "value" => 0.375, "t" => Time.now.to_i)
"""
RUBY_CLASSIC = """
    require "net/http"

    EYRIE = «base»
    UKEY = «ukey»

    Net::HTTP.post_form(URI(EYRIE + "/c"), "ukey" => UKEY, "key" => «ckey», "count" => 1)
    Net::HTTP.post_form(URI(EYRIE + "/v"), "ukey" => UKEY, "key" => «vkey», "value" => 0.375)
"""
PHP_EZ = """
    <?php
    $eyrie = «base»;
    $ezkey = «ezkey»;

    // With the curl extension: a count
    $ch = curl_init($eyrie . '/ez');
    curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query(['ezkey' => $ezkey, 'stat' => «cstat», 'count' => 1]));
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($ch, CURLOPT_TIMEOUT, 5);
    curl_exec($ch);
    curl_close($ch);

    // Without it: a value, with a timestamp
    file_get_contents($eyrie . '/ez', false, stream_context_create(['http' => [
        'method' => 'POST',
        'header' => 'Content-Type: application/x-www-form-urlencoded',
        'content' => http_build_query(['ezkey' => $ezkey, 'stat' => «vstat», 'value' => 0.375, 't' => time()]),
        'timeout' => 5,
    ]]));
"""
PHP_CLASSIC = """
    <?php
    $eyrie = «base»;
    $ukey = «ukey»;

    function eyrie_post($url, $fields) {
        file_get_contents($url, false, stream_context_create(['http' => [
            'method' => 'POST',
            'header' => 'Content-Type: application/x-www-form-urlencoded',
            'content' => http_build_query($fields),
            'timeout' => 5,
        ]]));
    }

    eyrie_post($eyrie . '/c', ['ukey' => $ukey, 'key' => «ckey», 'count' => 1]);
    eyrie_post($eyrie . '/v', ['ukey' => $ukey, 'key' => «vkey», 'value' => 0.375]);
"""
BULK_CURL = """
    curl -H 'Content-Type: application/json' --data-binary «body» \\
      «ez»
"""
BULK_PY = """
    import requests

    requests.post(«ez», timeout=5, json={
        "ezkey": «ezkey»,
        "data": [
            {"stat": «cstat», "count": 2},
            {"stat": «vstat», "value": 23.094},
        ],
    })
"""
BULK_NODE = """
    await fetch(«ez», {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ezkey: «ezkey»,
        data: [{ stat: «cstat», count: 2 }, { stat: «vstat», value: 23.094 }],
      }),
    });
"""


def bulk_body(k: Keys, now: int) -> str:
    items = [{"stat": COUNT_STAT, "count": 2}, {"stat": "messages sent~total,europe", "count": 1},
             {"stat": VALUE_STAT, "value": 23.094}, {"stat": "load average", "value": 0.732, "t": now - now % 60}]
    lines = ",\n".join("    " + json.dumps(i, ensure_ascii=False) for i in items)
    return f'{{\n  "ezkey": {json.dumps(k.ezkey, ensure_ascii=False)},\n  "data": [\n{lines}\n  ]\n}}'



def _curl_pairs(k: Keys) -> dict:
    return {"ezkey_p": "ezkey=" + k.ezkey, "cstat_p": "stat=" + COUNT_STAT, "vstat_p": "stat=" + VALUE_STAT,
            "ukey_p": "ukey=" + k.ukey, "ckey_p": "key=" + k.counter_key, "vkey_p": "key=" + k.value_key}


def _clients(k: Keys) -> list[dict]:
    """How to point each existing StatHat client at this server (research spec 1.7)."""
    u = urlparse(k.base)
    port = u.port or (443 if u.scheme == "https" else 80)
    host = u.hostname or "127.0.0.1"
    return [
        {"name": "Go: github.com/stathat/go", "setting": "the host is a constant: give the reporter a transport",
         "code": ("type toEyrie struct{}\n\nfunc (toEyrie) RoundTrip(r *http.Request) (*http.Response, error) {\n"
                  f"\tr.URL.Scheme, r.URL.Host = {go(u.scheme)}, {go(u.netloc)}\n"
                  "\treturn http.DefaultTransport.RoundTrip(r)\n}\n\n"
                  "stathat.DefaultReporter = stathat.NewReporter(100000, 10, toEyrie{})")},
        {"name": "Ruby: gem stathat", "setting": "replace the three URL constants (they are read at each call)",
         "code": ("{ EZ_URL: \"/ez\", CLASSIC_COUNT_URL: \"/c\", CLASSIC_VALUE_URL: \"/v\" }.each do |name, path|\n"
                  "  StatHat::Common.send(:remove_const, name)\n"
                  f"  StatHat::Common.const_set(name, {single(k.base)} + path)\nend")},
        {"name": "Python: stathat 0.0.2", "setting": "STATHAT_URL on the instance (see the Python tab)",
         "code": f"sh.STATHAT_URL = {py(k.base)}"},
        {"name": "Python: Flask-StatHat", "setting": "the url attribute",
         "code": f"stathat = StatHat(app)\nstathat.url = {py(k.base + '/ez')}"},
        {"name": "Python 2: python-stathat", "setting": "the module's endpoint; it parses replies, and Eyrie's "
                                                        "default reply is the one it expects",
         "code": f"stathat.STATHAT_ENDPOINT = {py(k.base)}"},
        {"name": "Node: npm stathat", "setting": "no host option: rewrite http.request (or https, with useHTTPS)",
         "code": (f"const http = require({js('https' if u.scheme == 'https' else 'http')}), orig = http.request;\n"
                  f"http.request = (o, cb) => {{\n  o.hostname = {js(host)};\n  o.port = {port};\n"
                  "  return orig.call(http, o, cb);\n};")},
        {"name": "stathat CLI", "setting": "the post host flag, environment variable or config key",
         "code": f"export STATHAT_POSTHOST={sh(k.base)}\n# or: stathat --posthost {sh(k.base)} ..."},
        {"name": "Java, Perl, Lua, Erlang, C#, PHP and other shlibs",
         "setting": "they hard-code http://api.stathat.com: change that constant to this server's URL, "
                    "or resolve api.stathat.com to this server (plain http only: https would need its certificate)",
         "code": f"http://api.stathat.com  →  {k.base}"},
    ]


# -- StatsD, Graphite and Grafana --------------------------------------------------------------
# Snippets for the listeners (python -m app listen); the name's first part is the account's
# metrics prefix token, so `TOKEN.api.requests` lands as the stat `api.requests`.

STATSD_PORT, GRAPHITE_PORT = 8125, 2003

STATSD_NC = """
    # Counter: add 1 to "api.requests"; the second was sampled 1 in 10, so it adds 10
    echo «counter» | nc -u -w0 «host» «sport»
    echo «sampled» | nc -u -w0 «host» «sport»

    # Timer (ms): the mean, plus api.latency.count, .median, .upper_90, .upper_99, .upper, .lower
    echo «timer» | nc -u -w0 «host» «sport»

    # Gauge (a value stat), and a set (distinct members per flush, counted)
    echo «gauge» | nc -u -w0 «host» «sport»
    echo «set» | nc -u -w0 «host» «sport»
"""
STATSD_PY = """
    # pip install statsd
    import statsd

    metrics = statsd.StatsClient(«host», «sport!», prefix=«token»)
    metrics.incr("api.requests")            # the stat api.requests
    metrics.timing("api.latency", 320)      # api.latency and its percentiles
    metrics.gauge("queue.depth", 7)
"""
GRAPHITE_NC = """
    # path value timestamp, over TCP (or UDP) to the same port
    echo «gline» $(date +%s) | nc -q0 «host» «gport»
"""
TELEGRAF = """
    # telegraf.conf: Telegraf's Graphite output, prefixed with your token
    [[outputs.graphite]]
      servers = [«gaddr»]
      prefix = «token»
      template = "host.tags.measurement.field"
"""
COLLECTD = """
    # collectd.conf: the write_graphite plugin
    LoadPlugin write_graphite
    <Plugin write_graphite>
      <Node "eyrie">
        Host «host»
        Port «gport_s»
        Protocol "tcp"
        Prefix «prefix»
      </Node>
    </Plugin>
"""


def _listener_snippets(base: str, token: str) -> dict:
    host = urlparse(base).hostname or "localhost"
    extra = dict(host=host, sport=str(STATSD_PORT), gport=str(GRAPHITE_PORT), gport_s=str(GRAPHITE_PORT),
                 token=token, prefix=token + ".", gaddr=f"{host}:{GRAPHITE_PORT}",
                 counter=f"{token}.api.requests:1|c", sampled=f"{token}.api.requests:1|c|@0.1",
                 timer=f"{token}.api.latency:320|ms", gauge=f"{token}.queue.depth:7|g", set=f"{token}.users:ann|s",
                 gline=f"{token}.servers.web1.load 0.42")
    keys = Keys(base=base, ezkey="", ukey="", counter_key="", value_key="", counter_name="", value_name="")

    def sn(sid, title, code, quote, **more):
        return {"id": sid, "title": title, "code": fill(code, quote, keys, **{**extra, **more})}

    return {
        "statsd": [sn("statsd-nc", "StatsD over UDP with nc", STATSD_NC, sh),
                   sn("statsd-python", "Python, with the statsd package", STATSD_PY, py)],
        "graphite": [sn("graphite-nc", "Graphite plaintext with nc", GRAPHITE_NC, sh),
                     sn("graphite-telegraf", "Telegraf", TELEGRAF, js),
                     sn("graphite-collectd", "collectd", COLLECTD, js)],
    }


def docs_view(db, account_id: int, base_url: str, now: int) -> dict:
    def tx_fn(tx):
        account = q.account_by_id(tx, account_id)
        if account is None:
            raise NotFound("no such account")
        stats = sq.list_stats(tx, account_id, limit=500)
        return account, q.ezkeys(tx, account_id), stats

    account, ezkeys, stats = db.read(tx_fn)
    counter = next((s for s in stats if s["kind"] == "counter"), None)
    value = next((s for s in stats if s["kind"] == "value"), None)
    counter, value = counter or value, value or counter   # one stat of either kind serves both examples
    ezkey = ezkeys[0]["ezkey"] if ezkeys else account["email"]
    keys = Keys(base=base_url.rstrip("/"), ezkey=ezkey, ukey=account["ukey"],
                counter_key=counter["classic_key"] if counter else NO_STAT_KEY,
                value_key=value["classic_key"] if value else NO_STAT_KEY,
                counter_name=counter["name"] if counter else "your counter stat",
                value_name=value["name"] if value else "your value stat")
    def sn(sid: str, title: str, code: str, quote, classic: bool = False, **extra) -> dict:
        return {"id": sid, "title": title, "code": fill(code, quote, keys, **extra), "classic": classic}

    pairs = _curl_pairs(keys)
    languages = [
        {"id": "curl", "label": "curl", "snippets": [
            sn("curl-ez", "EZ API: by stat name", CURL_EZ, sh, **pairs),
            sn("curl-classic", "Classic API: by stat key", CURL_CLASSIC, sh, True, **pairs)]},
        {"id": "python", "label": "Python", "snippets": [
            sn("python-ez", "EZ API with requests", PY_EZ, py),
            sn("python-classic", "Classic API with requests", PY_CLASSIC, py, True),
            sn("python-lib", "The StatHat Python library, pointed here", PY_LIB, py)]},
        {"id": "js", "label": "JavaScript", "snippets": [
            sn("js-node", "Node: EZ API with fetch", JS_NODE, js),
            sn("js-browser", "Browser: classic API with fetch", JS_BROWSER, js, True)]},
        {"id": "go", "label": "Go", "snippets": [
            sn("go-ez", "EZ API with net/http", GO_EZ, go),
            sn("go-classic", "Classic API", GO_CLASSIC, go, True)]},
        {"id": "ruby", "label": "Ruby", "snippets": [
            sn("ruby-ez", "EZ API with Net::HTTP", RUBY_EZ, single),
            sn("ruby-classic", "Classic API with Net::HTTP", RUBY_CLASSIC, single, True)]},
        {"id": "php", "label": "PHP", "snippets": [
            sn("php-ez", "EZ API with curl or file_get_contents", PHP_EZ, single),
            sn("php-classic", "Classic API with file_get_contents", PHP_CLASSIC, single, True)]},
    ]
    bulk = [sn("bulk-curl", "curl", BULK_CURL, sh, body=bulk_body(keys, now)),
            sn("bulk-python", "Python", BULK_PY, py),
            sn("bulk-node", "Node", BULK_NODE, js)]
    from app.interactors.listeners import metrics_token

    token = metrics_token(db, account_id)
    return {
        "metrics_token": token, "listeners": _listener_snippets(keys.base, token),
        "statsd_port": STATSD_PORT, "graphite_port": GRAPHITE_PORT,
        "grafana_url": f"{keys.base}/x/ACCESS_TOKEN/graphite",
        "base_url": keys.base, "ezkey": keys.ezkey, "ezkeys": [k["ezkey"] for k in ezkeys], "ukey": keys.ukey,
        "ez_enabled": bool(account["ez_enabled"]), "has_stat": counter is not None,
        "classic_stats": [{"name": s["name"], "kind": s["kind"], "key": s["classic_key"]}
                          for s in {s["id"]: s for s in (counter, value) if s}.values()],
        "languages": languages,
        "bulk": bulk,
        "clients": _clients(keys),
        "count_stat": COUNT_STAT, "value_stat": VALUE_STAT, "placeholder": NO_STAT_KEY,
    }
