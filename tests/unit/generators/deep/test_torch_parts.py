"""The hand-written pieces of the deep training step agree with what autograd and plain Adam compute."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from simulacra.generators.deep._torch import Blocks, flat_parameters  # noqa: E402
from simulacra.generators.deep.vae import _Loss  # noqa: E402


class _Layout:
    n_scalars = 3
    block_widths = (2, 4, 3)
    block_starts = np.array([3, 5, 9])


def _batch(n: int = 7) -> tuple[torch.Tensor, Blocks]:
    blocks = Blocks(_Layout(), torch.device("cpu"))  # type: ignore[arg-type]
    blocks.sum_matrix = blocks.sum_matrix.double()
    gen = torch.Generator().manual_seed(0)
    scalars = torch.rand(n, 3, generator=gen, dtype=torch.double) * 2 - 1
    onehot = torch.zeros(n, 9, dtype=torch.double)
    for start, width in ((0, 2), (2, 4), (6, 3)):
        hot = torch.randint(0, width, (n,), generator=gen)
        onehot[torch.arange(n), start + hot] = 1.0
    return torch.cat([scalars, onehot], dim=1), blocks


def test_vae_loss_matches_autograd_and_its_gradient_checks() -> None:
    x, blocks = _batch()
    gen = torch.Generator().manual_seed(1)
    out = torch.randn(len(x), 12, generator=gen, dtype=torch.double, requires_grad=True)
    sigma = (torch.rand(3, generator=gen, dtype=torch.double) * 0.5 + 0.1).requires_grad_()
    mu = torch.randn(len(x), 4, generator=gen, dtype=torch.double, requires_grad=True)
    logvar = torch.randn(len(x), 4, generator=gen, dtype=torch.double, requires_grad=True)

    def ours(o: torch.Tensor, s: torch.Tensor, m: torch.Tensor, lv: torch.Tensor) -> torch.Tensor:
        loss: torch.Tensor = _Loss.apply(o, x, s, m, lv, 3, blocks, 2.0)[0]
        return loss

    def reference(o: torch.Tensor, s: torch.Tensor, m: torch.Tensor, lv: torch.Tensor) -> torch.Tensor:
        rec = ((x[:, :3] - torch.tanh(o[:, :3])) ** 2 / (2 * s**2)).sum() + torch.log(s).sum() * len(x)
        rec = rec + blocks.cross_entropy_sum(o[:, 3:], x[:, 3:])
        kl = -0.5 * torch.sum(1 + lv - m**2 - lv.exp())
        return (2.0 * rec + kl) / len(x)

    inputs = (out, sigma, mu, logvar)
    assert float(ours(*inputs).detach()) == pytest.approx(float(reference(*inputs).detach()), rel=1e-12)
    got = torch.autograd.grad(ours(*inputs), inputs)
    want = torch.autograd.grad(reference(*inputs), inputs)
    for g, w in zip(got, want, strict=True):
        assert torch.allclose(g, w, rtol=1e-10, atol=1e-12)
    assert torch.autograd.gradcheck(ours, inputs)


def test_adam_over_flat_parameters_steps_like_adam_over_each() -> None:
    torch.manual_seed(0)
    plain = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    flat_net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    flat_net.load_state_dict(plain.state_dict())
    flat = flat_parameters(list(flat_net.parameters()))
    opt_a = torch.optim.Adam(plain.parameters(), lr=0.01, weight_decay=1e-5)
    opt_b = torch.optim.Adam([flat], lr=0.01, weight_decay=1e-5)
    x = torch.randn(16, 5)
    for _ in range(5):
        opt_a.zero_grad()
        plain(x).pow(2).sum().backward()
        opt_a.step()
        assert flat.grad is not None
        flat.grad.zero_()
        flat_net(x).pow(2).sum().backward()
        opt_b.step()
    for a, b in zip(plain.parameters(), flat_net.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    assert sum(p.numel() for p in flat_net.parameters()) == flat.numel()
