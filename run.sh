#!/usr/bin/env bash
# Install what the cockpit needs and serve it on the embedded sample data (http://localhost:8501).
# The first start makes the sample data current (as of today) and ingests it in the background; pages show
# a notice until it is in.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
if ! .venv/bin/python -m ioc users list --json 2>/dev/null | grep -q '"name"'; then
  echo "No account yet: the cockpit is open to everyone (docs/access.md). Create the first one with:"
  echo "  .venv/bin/python -m ioc users add NAME --role admin"
fi
exec .venv/bin/python -m streamlit run server.py --server.port "${PORT:-8501}" "$@"
