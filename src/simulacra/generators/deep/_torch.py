"""Torch plumbing shared by the deep generators: device, threads, seeding, weights, blocks, training loop.

Importing this module imports torch; without it the import raises :class:`MissingDependencyError` with
the install hint (``pip install 'simulacra[deep]'``). Nothing outside ``generators.deep`` imports it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..._optional import require
from ...progress import ProgressCallback

require("torch", extra="deep", purpose="the deep generators ('gan', 'vae')")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from ._encoding import Layout  # noqa: E402

__all__ = [
    "Blocks",
    "TrainResult",
    "choose_device",
    "cpu_count",
    "flat_parameters",
    "load_weights",
    "nn",
    "steps_per_epoch",
    "torch",
    "torch_session",
    "train_loop",
    "weights_of",
]


def choose_device(device: str) -> torch.device:
    """``"auto"``: CUDA when present, else CPU; ``"cpu"``; ``"cuda"`` / ``"cuda:1"``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def torch_session(threads: int | None = None, seed: int | None = None) -> Iterator[None]:
    """Run torch on ``threads`` threads (``None``: every available core), flush denormal floats (they slow
    CPU training down over time) and, with ``seed``, seed torch's global generator inside a fork so the
    caller's torch random state is untouched. The previous thread count is restored afterwards.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(threads or cpu_count())
    torch.set_flush_denormal(True)
    try:
        if seed is None:
            yield
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                yield
    finally:
        torch.set_num_threads(before)
        torch.set_flush_denormal(False)


def weights_of(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's ``state_dict`` as numpy arrays (saved in arrays.npz, never pickled)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_weights(module: nn.Module, weights: Mapping[str, Any]) -> None:
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})


class Blocks:
    """Segmented softmax over all one-hot blocks of a :class:`Layout` at once, without a loop over columns.

    A (block columns, blocks) 0/1 membership matrix turns per-block sums into one matmul; the per-block
    maximum (for numerical stability, no gradient needed) is one scatter-max by block membership.
    All methods take the block part of a network output, shape (batch, block columns).
    """

    def __init__(self, layout: Layout, device: torch.device) -> None:
        self.n_blocks = len(layout.block_widths)
        widths = np.asarray(layout.block_widths, dtype=np.int64)
        member = np.repeat(np.arange(len(widths)), widths)
        self.member = torch.from_numpy(member).to(device)
        self.starts = torch.from_numpy(layout.block_starts - layout.n_scalars).to(device)
        onehot = torch.zeros(int(widths.sum()), len(widths))
        onehot[torch.arange(len(member)), torch.from_numpy(member)] = 1.0
        self.sum_matrix = onehot.to(device)

    def _block_max(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # one scatter-max by block membership (a padded view costs 5x more on a CPU)
            top = torch.full((x.shape[0], self.n_blocks), float("-inf"), dtype=x.dtype, device=x.device)
            return top.scatter_reduce(1, self.member.expand(x.shape[0], -1), x, "amax")

    def _exp(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        top = self._block_max(x)
        return torch.exp(x - top.index_select(1, self.member)), top

    def softmax(self, x: torch.Tensor) -> torch.Tensor:
        e, _ = self._exp(x)
        return e / (e @ self.sum_matrix).index_select(1, self.member)

    def logsumexp(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, blocks) log-sum-exp of each block."""
        e, top = self._exp(x)
        return torch.log(e @ self.sum_matrix) + top

    def gumbel_softmax(self, x: torch.Tensor, tau: float) -> torch.Tensor:
        """Differentiable one-hot-like samples of every block (Jang et al. 2017)."""
        gumbel = -torch.log(-torch.log(torch.rand_like(x).clamp_(1e-10, 1.0)))
        return self.softmax((x + gumbel) / tau)

    def cross_entropy_sum(self, x: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Sum over rows and blocks of -log softmax at the hot entries of ``onehot``."""
        return self.logsumexp(x).sum() - (onehot * x).sum()

    def log_prob(self, x: torch.Tensor, block: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
        """(batch,) log softmax of ``category`` within ``block``, one pair per row."""
        rows = torch.arange(x.shape[0], device=x.device)
        return x[rows, self.starts[block] + category] - self.logsumexp(x)[rows, block]


@dataclass
class TrainResult:
    """What happened during training (stored in the model's state as JSON)."""

    epochs_run: int = 0
    stopped_by: str = "epochs"
    best_epoch: int | None = None
    best_score: float | None = None
    epoch_seconds: list[float] = field(default_factory=list)
    epoch_cpu_seconds: list[float] = field(default_factory=list)
    """Process CPU seconds of each epoch, over all threads: steadier than wall time on a busy machine."""
    scores: list[tuple[int, float]] = field(default_factory=list)
    losses: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs_run": self.epochs_run,
            "stopped_by": self.stopped_by,
            "best_epoch": self.best_epoch,
            "best_score": self.best_score,
            "epoch_seconds": [round(s, 4) for s in self.epoch_seconds],
            "epoch_cpu_seconds": [round(s, 4) for s in self.epoch_cpu_seconds],
            "scores": [[e, round(s, 5)] for e, s in self.scores],
            "final_loss": self.losses[-1] if self.losses else {},
        }


def train_loop(
    run_epoch: Callable[[], dict[str, float]],
    *,
    epochs: int,
    deadline: float | None,
    progress: ProgressCallback,
    task: str,
    evaluate: Callable[[], float] | None = None,
    eval_every: int = 5,
    patience: int = 10,
    min_epochs: int = 0,
    min_improvement: float = 0.0,
    snapshot: Callable[[], Any] | None = None,
    restore: Callable[[Any], None] | None = None,
) -> TrainResult:
    """Run epochs until ``epochs``, the ``deadline`` (a ``time.perf_counter()`` value) or early stopping.

    An epoch does not start when the mean epoch time says it would end after the deadline. With
    ``evaluate`` (higher is better), the model is scored every ``eval_every`` epochs and after the last;
    training stops after ``patience`` scores without a new best (never before ``min_epochs``: GANs often get
    worse before they get better), and the best snapshot is restored. A new best must beat the old by 1e-4
    and by ``min_improvement`` times the old best's magnitude (a relative threshold, for scores such as a
    log-likelihood whose last epochs gain a few thousandths of a nat).
    """
    result = TrainResult()
    best_state: Any = None
    stale = 0
    progress.start(task, epochs)
    for epoch in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        losses = run_epoch()
        seconds = time.perf_counter() - t0
        result.epoch_seconds.append(seconds)
        result.epoch_cpu_seconds.append(time.process_time() - c0)
        result.losses.append(losses)
        result.epochs_run = epoch + 1
        mean_s = float(np.mean(result.epoch_seconds))
        out_of_time = deadline is not None and time.perf_counter() + mean_s > deadline
        last = epoch + 1 == epochs or out_of_time
        if evaluate is not None and ((epoch + 1) % eval_every == 0 or last):
            score = evaluate()
            result.scores.append((epoch + 1, score))
            if result.best_score is None or score > result.best_score + max(
                1e-4, min_improvement * abs(result.best_score)
            ):
                result.best_score, result.best_epoch, stale = score, epoch + 1, 0
                best_state = snapshot() if snapshot is not None else None
            else:
                stale += 1
        loss_text = ", ".join(f"{k} {v:.4f}" for k, v in losses.items())
        progress.message(f"{task}: epoch {epoch + 1}/{epochs}, {loss_text}, {seconds:.2f} s")
        progress.advance(task, 1)
        if out_of_time:
            result.stopped_by = "time" if epoch + 1 < epochs else "epochs"
            break
        if evaluate is not None and stale >= patience and epoch + 1 >= min_epochs:
            result.stopped_by = "early_stopping"
            break
    progress.end(task)
    if best_state is not None and restore is not None and result.best_epoch != result.epochs_run:
        restore(best_state)
    return result


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    """Full batches per epoch (at least one), as CTGAN and TVAE count them."""
    return max(1, n_rows // batch_size)


def flat_parameters(params: list[torch.Tensor]) -> nn.Parameter:
    """One parameter holding every tensor of ``params``, which become views into it (values unchanged).

    Their gradients are views into the flat parameter's gradient too, so autograd accumulates straight into
    it: an optimiser over the flat parameter does one step for all of them. Adam and weight decay are
    elementwise, so the updates equal those of the optimiser over the separate tensors; what is saved is the
    per-tensor work of the optimiser's step and of ``zero_grad`` (about a twentieth of a VAE epoch on Adult).
    Clear gradients with ``flat.grad.zero_()`` (never ``set_to_none``: the views would be cut loose).
    """
    total = sum(p.numel() for p in params)
    first = params[0]
    flat = nn.Parameter(torch.empty(total, dtype=first.dtype, device=first.device))
    flat.grad = torch.zeros_like(flat)
    at = 0
    with torch.no_grad():
        for p in params:
            k = p.numel()
            flat[at : at + k].copy_(p.reshape(-1))
            p.data = flat.data[at : at + k].view_as(p)
            p.grad = flat.grad[at : at + k].view_as(p)
            at += k
    return flat
