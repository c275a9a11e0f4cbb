#!/usr/bin/env bash
# Create .venv with Python 3.11 and install OneWindow (with test tools when given "test").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), "OneWindow needs Python 3.11"'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""; [ "${1:-}" = "test" ] && extra="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}"
