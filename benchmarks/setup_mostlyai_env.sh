#!/usr/bin/env bash
# Create benchmarks/.venv-mostlyai with mostlyai-engine (TabularARGN) for argn_vs_tabularargn.py.
# Idempotent: an existing venv with the pinned engine importable is left as it is.
# mostlyai-engine lives only here; it is never a dependency of simulacra itself.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${MOSTLYAI_VENV:-$HERE/.venv-mostlyai}"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
ENGINE_VERSION="${ENGINE_VERSION:-2.7.3}"

check() {
    "$VENV/bin/python" - "$ENGINE_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version

import mostlyai.engine  # noqa: F401

sys.exit(0 if version("mostlyai-engine") == sys.argv[1] else 1)
PY
}

if [ -x "$VENV/bin/python" ] && check; then
    echo "mostlyai venv ready: $VENV"
else
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # torch first, pinned: a CPU wheel of this version lies on the development machines' disk; letting the
    # engine pull torch itself would download another (multi-GB) build.
    "$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION"
    "$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION" "mostlyai-engine==$ENGINE_VERSION"
    # mostlyai-engine pins a torchvision whose PyPI build does not load next to the CPU torch build
    # ("operator torchvision::nms does not exist"); the tabular model does not use it.
    "$VENV/bin/python" -m pip uninstall --quiet -y torchvision || true
    check || { echo "mostlyai-engine does not import in $VENV" >&2; exit 1; }
    echo "mostlyai venv ready: $VENV"
fi
"$VENV/bin/python" -c 'from importlib.metadata import version as v; print(*(f"{p} {v(p)}" for p in ("mostlyai-engine", "torch", "pandas", "numpy")), sep="\n")'
