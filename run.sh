#!/usr/bin/env bash
# Install what the cockpit needs and serve it on the embedded sample data (http://localhost:8501).
# The first start makes the sample data current (as of today) and ingests it in the background; pages show
# a notice until it is in.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
exec .venv/bin/python -m streamlit run server.py --server.port "${PORT:-8501}" "$@"
