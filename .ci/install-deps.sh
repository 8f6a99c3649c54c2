#!/usr/bin/env bash
# What the test suite needs beyond Python packages: MariaDB, Chromium, Node (for the npm StatHat
# client), cairo (PNG graphs), nginx and supervisor (the local cluster). Installs only what is
# missing; needs root for apt.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v mariadbd >/dev/null || missing+=(mariadb-server mariadb-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v curl >/dev/null || missing+=(curl)
# The local cluster (tests/test_cluster.py, make cluster): nginx in front, supervisord around it all.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
command -v supervisord >/dev/null || missing+=(supervisor)
ldconfig -p | grep -q libcairo.so.2 || missing+=(libcairo2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The real npm StatHat client, driven by tests/clients/npm_client.js.
if [ ! -d tests/clients/node_modules/stathat ]; then
  (cd tests/clients && npm install --no-audit --no-fund --silent stathat@0.0.8 >/dev/null)
fi
# axe-core, the accessibility rules the browser tests run in the page (tests/test_a11y_browser.py).
if [ ! -f tests/clients/node_modules/axe-core/axe.min.js ]; then
  (cd tests/clients && npm install --no-audit --no-fund --silent axe-core@4.14.1 >/dev/null)
fi
