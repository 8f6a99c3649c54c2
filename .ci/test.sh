#!/usr/bin/env bash
# The whole suite, once on SQLite and once on a throwaway MariaDB that the test session starts and
# stops itself (tests/support/mariadb.py). Exits non-zero if either run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
status=0
echo "== smoke: the runtime requirements alone serve the demo"
bash .ci/smoke-run.sh || status=1
echo "== suite on SQLite"
EYRIE_TEST_DB=sqlite .venv/bin/python -m pytest -q "$@" || status=1
echo "== suite on MariaDB"
EYRIE_TEST_DB=mariadb .venv/bin/python -m pytest -q "$@" || status=1
exit $status
