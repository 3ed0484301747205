"""The autoregressive network's parts: the bucketed loss equals the padded softmax, the byte-mask dropout
keeps the asked share, and the training loop's relative improvement threshold."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from simulacra.generators.deep._argn_net import ARGNNet, known_from_ranks  # noqa: E402
from simulacra.generators.deep._torch import train_loop  # noqa: E402
from simulacra.progress import Silent  # noqa: E402

CARDS = [2, 5, 9, 40, 128, 3]


def _batch(rows: int = 300, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    tokens = torch.from_numpy(np.stack([rng.integers(0, k, rows) for k in CARDS], axis=1))
    ranks = torch.from_numpy(np.argsort(rng.random((rows, len(CARDS))), axis=1))
    return tokens, known_from_ranks(ranks)


def test_bucketed_loss_equals_padded_softmax_and_its_gradient() -> None:
    torch.manual_seed(0)
    net = ARGNNet(CARDS, 4, 16, 0.0).eval()
    tokens, known = _batch()
    got = net.nll(tokens, known)
    # the reference: every head's logits padded to the widest vocabulary, one log-softmax
    logits = torch.log_softmax(net(tokens, known, torch.arange(len(CARDS))), dim=-1)
    want = -logits.gather(-1, tokens.t().unsqueeze(-1)).squeeze(-1).sum(dim=0)
    assert torch.allclose(got, want, atol=1e-4)
    g_got = torch.autograd.grad(got.mean(), net.w3)[0]
    g_want = torch.autograd.grad(want.mean(), net.w3)[0]
    assert torch.allclose(g_got, g_want, atol=1e-6)
    # the padding of a narrow column's output weights gets no gradient
    assert float(g_got[0, :, 2:].abs().max()) == 0.0


def test_byte_mask_dropout_keeps_the_asked_share_and_follows_the_seed() -> None:
    net = ARGNNet(CARDS, 4, 16, 0.25).train()
    x = torch.ones(6, 500, 64)
    torch.manual_seed(1)
    a = net._dropout(x)
    torch.manual_seed(1)
    b = net._dropout(x)
    assert torch.equal(a, b)
    kept = float((a > 0).float().mean())
    assert abs(kept - 0.75) < 0.01
    assert abs(float(a.mean()) - 1.0) < 0.02  # inverted dropout keeps the mean
    assert torch.equal(net.eval()._dropout(x), x)


def test_sampling_logits_only_as_wide_as_the_target_column() -> None:
    net = ARGNNet(CARDS, 4, 16, 0.0).eval()
    tokens, known = _batch(rows=10)
    out = net(tokens, known[:1], torch.tensor([1]))
    assert out.shape == (1, 10, 5)
    assert torch.isfinite(out).all()


def test_relative_improvement_threshold_stops_on_tiny_gains() -> None:
    losses = iter([20.0, 19.0, 18.9995, 18.999, 18.9985, 18.998, 18.9975, 18.997])

    def evaluate() -> float:
        return -next(losses)

    result = train_loop(
        lambda: {"loss": 0.0},
        epochs=8,
        deadline=None,
        progress=Silent(),
        task="t",
        evaluate=evaluate,
        eval_every=1,
        patience=3,
        min_improvement=1e-4,
    )
    # gains after epoch 2 add up to less than 1e-4 of the loss (0.0019 nats): three stale epochs stop it
    assert result.best_epoch == 2
    assert result.epochs_run == 5
    assert result.stopped_by == "early_stopping"
