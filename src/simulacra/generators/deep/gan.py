"""Conditional tabular GAN (after Xu et al., "Modeling Tabular Data using Conditional GAN", NeurIPS 2019).

Written from the paper: mode-specific normalisation of continuous columns (see :mod:`._encoding`), a
conditional vector with training-by-sampling so rare categories survive (:mod:`._conditional`), a
residual generator with Gumbel-softmax outputs, a PacGAN discriminator (``pac`` rows judged together)
and the WGAN-GP loss, plus a cross-entropy term that makes the generator honour the condition.

Speed on a CPU comes from vectorised sampling of the conditions and rows, one padded softmax over all
one-hot blocks instead of a loop over columns, a discriminator step that does not backpropagate into
the generator, no weight gradients for the discriminator during the generator step, and flushing
denormal floats. Training stops at ``epochs``, at ``max_minutes``, or when the fidelity of a sample to
a validation split stops improving (the best weights are kept).

>>> gen = create_generator("gan", epochs=100, random_state=0).fit(df)
>>> gen.sample(1000)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ._base import DeepGenerator
from ._conditional import CondSampler
from ._torch import nn, steps_per_epoch, torch

__all__ = ["GANGenerator"]

_TAU = 0.2
_GP_WEIGHT = 10.0


class _Residual(nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)
        self.bn = nn.BatchNorm1d(n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


def _generator(n_in: int, dims: Sequence[int], n_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_in
    for d in dims:
        layers.append(_Residual(width, int(d)))
        width += int(d)
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def _discriminator(n_in: int, dims: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_in
    for d in dims:
        layers += [nn.Linear(width, int(d)), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
        width = int(d)
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class GANGenerator(DeepGenerator):
    """Conditional tabular GAN with training-by-sampling, PacGAN and WGAN-GP.

    Parameters
    ----------
    epochs : most passes over the training rows (an epoch is ``rows // batch_size`` steps).
    max_minutes : time budget of ``fit`` in minutes (``None``: no budget); whichever of this and
        ``epochs`` ends first stops training.
    batch_size : rows per step (rounded down to a multiple of ``pac``).
    embedding_dim : size of the generator's noise input.
    generator_dims, discriminator_dims : hidden layer widths.
    pac : rows the discriminator judges together (PacGAN), against mode collapse.
    learning_rate : Adam learning rate of both networks.
    numeric_encoding : ``"mode"``: mode-specific normalisation (a Gaussian mixture per numeric column,
        a mode one-hot plus a scalar); ``"quantile"``: rank-Gauss (each numeric column mapped to normal
        scores through its empirical CDF and back by quantile interpolation; one scalar per column).
    early_stopping : score a sample against a validation split every few epochs; stop when it no
        longer improves and keep the best weights.
    calibrate : after training, offset each discrete column's logits so its expected category rates equal
        the training rates (rare categories otherwise come out far below their rate); off under DP.
    device : ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    threads : torch CPU threads during fit and sample; ``None``: every available core for tables of
        2,000 rows or more, one thread below (small steps gain nothing from a second thread).
    epsilon, delta : with ``epsilon`` set, train with DP-SGD to this ``(epsilon, delta)`` (``pip install
        'simulacra[dp]'``). Only the discriminator reads real rows, so only it is trained with DP-SGD (the
        generator learns from its noisy judgement: post-processing). Under DP the GAN is unconditional (the
        conditional vector and training-by-sampling would read category frequencies and pick real rows by
        category), uses the non-saturating loss instead of WGAN-GP (a gradient penalty on real rows has no
        per-example clipping), takes the domain from a public schema, encodes numeric columns through their
        public bounds and does not stop early. ``None`` (default): not private.
    max_grad_norm : DP-SGD's per-example (per-pack) gradient clipping norm.
    domain_share : under DP, share of the budget for privately estimating numeric and datetime bounds the
        schema lacks (``None``: the schema must give them).
    random_state : seed of fitting and of the default sampling stream.
    locale : Faker locale for PII surrogates.
    """

    name: ClassVar[str] = "gan"

    def __init__(
        self,
        *,
        epochs: int = 300,
        max_minutes: float | None = 10.0,
        batch_size: int = 500,
        embedding_dim: int = 128,
        generator_dims: Sequence[int] = (256, 256),
        discriminator_dims: Sequence[int] = (256, 256),
        pac: int = 10,
        learning_rate: float = 2e-4,
        numeric_encoding: str = "quantile",
        early_stopping: bool = True,
        calibrate: bool = True,
        device: str = "auto",
        threads: int | None = None,
        epsilon: float | None = None,
        delta: float = 1e-9,
        max_grad_norm: float = 1.0,
        domain_share: float | None = None,
        random_state: int | None = None,
        locale: str | None = None,
    ) -> None:
        self.epochs = epochs
        self.max_minutes = max_minutes
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dims = generator_dims
        self.discriminator_dims = discriminator_dims
        self.pac = pac
        self.learning_rate = learning_rate
        self.numeric_encoding = numeric_encoding
        self.early_stopping = early_stopping
        self.calibrate = calibrate
        self.device = device
        self.threads = threads
        self.epsilon = epsilon
        self.delta = delta
        self.max_grad_norm = max_grad_norm
        self.domain_share = domain_share
        self.random_state = random_state
        self.locale = locale

    def _problems(self) -> list[str]:
        problems = super()._problems()
        for key in ("embedding_dim", "pac"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{key}={value!r}; use an integer >= 1")
        for key in ("generator_dims", "discriminator_dims"):
            value = getattr(self, key)
            if not isinstance(value, (list, tuple)) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in value
            ):
                problems.append(f"{key}={value!r}; use a list of positive integers")
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 1:
            problems.append(f"learning_rate={self.learning_rate!r}; use a number in (0, 1)")
        if isinstance(self.pac, int) and isinstance(self.batch_size, int) and self.batch_size < self.pac:
            problems.append(f"batch_size={self.batch_size!r} is smaller than pac={self.pac!r}")
        return problems

    # -- networks -----------------------------------------------------------------------------
    def _make_generator(self) -> None:
        layout = self.encoder_.layout
        n_in = self.embedding_dim + self.cond_.width
        self.gen_ = _generator(n_in, list(self.generator_dims), layout.width).to(self.device_)
        self.disc_blocks_ = torch.as_tensor(np.asarray(layout.discrete_blocks, dtype=np.int64), device=self.device_)

    def _build(self, x: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> None:
        widths = [c.n_categories for c in self.encoder_.discrete]
        if self.dp_plan_ is not None:  # unconditional under DP: no category frequencies, no rows by category
            codes, widths = codes[:, :0], []
        self.cond_ = CondSampler.from_codes(codes, widths)
        self._make_generator()
        features = self.encoder_.layout.width + self.cond_.width
        self.disc_ = _discriminator(features * self.pac, list(self.discriminator_dims)).to(self.device_)
        lr = float(self.learning_rate)
        self.opt_g_ = torch.optim.Adam(self.gen_.parameters(), lr=lr, betas=(0.5, 0.9), weight_decay=1e-6)
        self.opt_d_ = torch.optim.Adam(self.disc_.parameters(), lr=lr, betas=(0.5, 0.9), weight_decay=1e-6)
        if self.dp_plan_ is not None:
            from ._dp import wrap_private

            self.dp_module_, self.opt_d_ = wrap_private(self.disc_, self.opt_d_, self.dp_plan_, loss_reduction="sum")
        self.x_ = torch.from_numpy(x).to(self.device_)
        self.batch_ = max(self.pac, self.batch_size // self.pac * self.pac)
        self.steps_ = steps_per_epoch(len(x), self.batch_size)

    def _cond_tensor(self, col: np.ndarray, cat: np.ndarray) -> torch.Tensor:
        n = len(col)
        cond = torch.zeros(n, self.cond_.width, device=self.device_)
        if self.cond_.width:
            pos = torch.from_numpy(self.cond_.positions(col, cat)).to(self.device_)
            cond[torch.arange(n, device=self.device_), pos] = 1.0
        return cond

    def _draw(self, rng: np.random.Generator, with_rows: bool) -> tuple[torch.Tensor, Any, Any, torch.Tensor | None]:
        b = self.batch_
        if self.cond_.n_columns == 0:
            rows = rng.integers(0, len(self.x_), b) if with_rows else None
            cond = torch.zeros(b, 0, device=self.device_)
            return cond, None, None, None if rows is None else self.x_[torch.from_numpy(rows).to(self.device_)]
        col, cat, rows = self.cond_.sample_train(b, rng)
        real = self.x_[torch.from_numpy(rows).to(self.device_)] if with_rows else None
        return self._cond_tensor(col, cat), col, cat, real

    def _activate(self, raw: torch.Tensor) -> torch.Tensor:
        ns = self.encoder_.layout.n_scalars
        return torch.cat([torch.tanh(raw[:, :ns]), self.blocks_.gumbel_softmax(raw[:, ns:], _TAU)], dim=1)

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.embedding_dim, device=self.device_)

    # -- training -----------------------------------------------------------------------------
    def _dp_epoch(self, rng: np.random.Generator) -> dict[str, float]:
        """One epoch of DP-SGD on the discriminator (Poisson batches, per-pack clipping and noise through
        Opacus), the generator following with the non-saturating loss."""
        from ._dp import poisson_batches

        gen, disc, pac = self.gen_, self.disc_, self.pac
        gen.train()
        disc.train()
        features = self.encoder_.layout.width
        width = features * pac
        n_fake = max(1, self.dp_plan_.expected_batch // pac)  # packs of fake rows: fixed, data-independent
        sum_d = sum_g = 0.0
        steps = 0
        for rows in poisson_batches(self.dp_plan_, rng):
            steps += 1
            rows = rows[: len(rows) // pac * pac]  # whole packs: each real row still lies in one pack only
            real = self.x_[torch.from_numpy(rows).to(self.device_)].view(-1, width)
            fake = self._activate(gen(self._noise(n_fake * pac))).view(-1, width)
            out = disc(torch.cat([real, fake.detach()], dim=0)).view(-1)
            # sum over packs of per-pack losses (Opacus clips each pack's gradient), scaled by the fixed count
            loss_d = (
                nn.functional.softplus(-out[: len(real)]).sum() + nn.functional.softplus(out[len(real) :]).sum()
            ) / n_fake
            self.opt_d_.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d_.step()
            # generator step: no per-example hooks, no weight gradients for the discriminator
            self.dp_module_.disable_hooks()
            for p in disc.parameters():
                p.requires_grad_(False)
            loss_g = nn.functional.softplus(-disc(fake)).mean()
            self.opt_g_.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g_.step()
            for p in disc.parameters():
                p.requires_grad_(True)
            self.dp_module_.enable_hooks()
            sum_d += float(loss_d.detach())
            sum_g += float(loss_g.detach())
        steps = max(1, steps)
        return {"loss_d": sum_d / steps, "loss_g": sum_g / steps}

    def _epoch(self, rng: np.random.Generator) -> dict[str, float]:
        if self.dp_plan_ is not None:
            return self._dp_epoch(rng)
        gen, disc, pac = self.gen_, self.disc_, self.pac
        gen.train()
        disc.train()
        sum_d = sum_g = 0.0
        ns = self.encoder_.layout.n_scalars
        for _ in range(self.steps_):
            # one generator pass per step serves both updates: the discriminator sees it detached
            # (no backpropagation into the generator), the generator step reuses its graph
            cond, col, cat, real = self._draw(rng, with_rows=True)
            assert real is not None
            raw = gen(torch.cat([self._noise(len(cond)), cond], dim=1))
            fake_in = torch.cat([self._activate(raw), cond], dim=1)
            real_in = torch.cat([real, cond], dim=1)
            features = real_in.shape[1]
            width = features * pac
            fake_d = fake_in.detach()
            d_real = disc(real_in.view(-1, width))
            d_fake = disc(fake_d.view(-1, width))
            alpha = torch.rand(len(cond) // pac, 1, 1, device=self.device_)
            mix = alpha * real_in.view(-1, pac, features) + (1 - alpha) * fake_d.view(-1, pac, features)
            mix = mix.view(-1, width).requires_grad_(True)
            grad = torch.autograd.grad(disc(mix).sum(), mix, create_graph=True)[0]
            penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean() * _GP_WEIGHT
            loss_d = d_fake.mean() - d_real.mean() + penalty
            self.opt_d_.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d_.step()
            # generator step: Wasserstein loss through the updated discriminator (no weight gradients
            # for it) plus the cross-entropy that makes the generator honour the condition
            for p in disc.parameters():
                p.requires_grad_(False)
            loss_g = -disc(fake_in.view(-1, width)).mean()
            for p in disc.parameters():
                p.requires_grad_(True)
            if col is not None:
                blk = self.disc_blocks_[torch.from_numpy(col).to(self.device_)]
                category = torch.from_numpy(cat).to(self.device_)
                loss_g = loss_g - self.blocks_.log_prob(raw[:, ns:], blk, category).mean()
            self.opt_g_.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g_.step()
            sum_d += float(loss_d.detach())
            sum_g += float(loss_g.detach())
        return {"loss_d": sum_d / self.steps_, "loss_g": sum_g / self.steps_}

    # -- sampling -----------------------------------------------------------------------------
    def _generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        was_training = self.gen_.training
        self.gen_.eval()
        z = torch.from_numpy(rng.standard_normal((n, self.embedding_dim)).astype(np.float32)).to(self.device_)
        if self.cond_.n_columns:
            col, cat = self.cond_.sample_original(n, rng)
            cond = self._cond_tensor(col, cat)
        else:
            cond = torch.zeros(n, 0, device=self.device_)
        with torch.no_grad():
            raw = self.gen_(torch.cat([z, cond], dim=1)).cpu().numpy()
        self.gen_.train(was_training)
        ns = self.encoder_.layout.n_scalars
        return np.tanh(raw[:, :ns]), raw[:, ns:]

    # -- state --------------------------------------------------------------------------------
    def _modules(self) -> dict[str, torch.nn.Module]:
        return {"generator": self.gen_}

    def _extra_state(self) -> dict[str, Any]:
        return {"cond_widths": self.cond_.widths, "cond_cum": self.cond_.true_cum}

    def _restore(self, extra: Mapping[str, Any]) -> None:
        self.cond_ = CondSampler(np.asarray(extra["cond_widths"]), np.asarray(extra["cond_cum"]))
        if len(self.cond_.widths) not in (0, len(self.encoder_.discrete)):  # 0: unconditional (DP)
            raise ValueError("gan state does not match the model's discrete columns")
        self._make_generator()

    def _end_fit(self) -> None:
        self.cond_ = CondSampler(self.cond_.widths, self.cond_.true_cum)
        self.__dict__.pop("dp_module_", None)  # the discriminator is dropped below, hooks and all
        self.gen_.eval()
        for key in ("disc_", "opt_g_", "opt_d_", "x_"):
            self.__dict__.pop(key, None)
