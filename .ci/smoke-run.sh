#!/usr/bin/env bash
# What `make run` gives a user, with the RUNTIME requirements only (the test venv has the dev
# ones too, which can hide a missing runtime dependency): migrate, demo data, serve every app on
# one port, answer pages and posts, run the worker once. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "is ignored" || true
export EYRIE_VAR_DIR="$tmp/var"
py="$tmp/venv/bin/python"
"$py" -m app demo --json | tail -1
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$py" -m app serve --role all --port "$port" > "$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
check() {  # expected-status url [curl args...]
  local want=$1 url=$2; shift 2
  local got; got=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url")
  if [ "$got" != "$want" ]; then echo "smoke: $url answered $got, not $want"; cat "$tmp/serve.log"; exit 1; fi
}
check 200 "http://127.0.0.1:$port/healthz"
check 200 "http://127.0.0.1:$port/login"
check 302 "http://127.0.0.1:$port/"
check 200 "http://127.0.0.1:$port/ez" -d "ezkey=demo@eyrie.local&stat=smoke&count=1"
check 200 "http://127.0.0.1:$port/static/embed.js"
"$py" -m app worker --once --json | tail -1
echo "smoke: make run's path works with the runtime requirements alone"
