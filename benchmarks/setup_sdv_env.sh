#!/usr/bin/env bash
# Create benchmarks/.venv-sdv with SDV and SDMetrics for the peer comparison in adult_copula.py.
# Idempotent: an existing venv with the pinned packages importable is left as it is.
# SDV and SDMetrics live only here; they are never dependencies of simulacra itself.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${SDV_VENV:-$HERE/.venv-sdv}"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
SDV_VERSION="${SDV_VERSION:-2.0.0}"
SDMETRICS_VERSION="${SDMETRICS_VERSION:-0.32.0}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$SDV_VERSION" "$SDMETRICS_VERSION" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version

import sdmetrics  # noqa: F401
import sdv  # noqa: F401

ok = version("sdv") == sys.argv[1] and version("sdmetrics") == sys.argv[2]
sys.exit(0 if ok else 1)
PY
    echo "SDV venv ready: $VENV"
    "$VENV/bin/python" -c 'from importlib.metadata import version as v; print(*(f"{p} {v(p)}" for p in ("sdv", "sdmetrics", "rdt", "copulas", "torch", "pandas", "numpy")), sep="\n")'
    exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# torch first, pinned: a CPU wheel of this version lies on the development machines' disk;
# letting SDV pull torch itself would download another (multi-GB) build.
"$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION"
"$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION" "sdv==$SDV_VERSION" "sdmetrics==$SDMETRICS_VERSION"
echo "SDV venv ready: $VENV"
"$VENV/bin/python" -c 'from importlib.metadata import version as v; print(*(f"{p} {v(p)}" for p in ("sdv", "sdmetrics", "rdt", "copulas", "torch", "pandas", "numpy")), sep="\n")'
