#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian's Chromium for the browser tests), check the code's
# habits (ruff: lint and format; mypy: types; import-linter: layers) and run every test. Extra arguments go to pytest, e.g. `bash test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
# pytest exits 5 when it finds no tests: that fails this script too, as it should.
exec .venv/bin/python -m pytest "$@"
