#!/usr/bin/env bash
# Create benchmarks/.venv-smartnoise with smartnoise-synth for the side-by-side run in dp_nist.py.
# Idempotent: an existing venv with the pinned package importable is left as it is.
# smartnoise-synth lives only here; it is never a dependency of simulacra itself.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${SMARTNOISE_VENV:-$HERE/.venv-smartnoise}"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
SMARTNOISE_VERSION="${SMARTNOISE_VERSION:-1.0.8}"

show() {
    "$VENV/bin/python" -c 'from importlib.metadata import version as v; print(*(f"{p} {v(p)}" for p in ("smartnoise-synth", "private-pgm", "torch", "pandas", "numpy")), sep="\n")' 2>/dev/null || true
}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$SMARTNOISE_VERSION" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version

import snsynth  # noqa: F401

sys.exit(0 if version("smartnoise-synth") == sys.argv[1] else 1)
PY
    echo "smartnoise venv ready: $VENV"
    show
    exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# torch first, pinned: a CPU wheel of this version lies on the development machines' disk; letting
# smartnoise-synth (through opacus) pull torch itself would download another (multi-GB) build.
"$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION"
"$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION" "smartnoise-synth==$SMARTNOISE_VERSION"
echo "smartnoise venv ready: $VENV"
show
