"""Deep generator tests need torch (the ``deep`` extra); the ``gpu`` marker needs CUDA."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
