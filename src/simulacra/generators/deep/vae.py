"""Tabular variational autoencoder (the TVAE of Xu et al., NeurIPS 2019), on the GAN's encoding.

Encoder and decoder are small ReLU networks; continuous scalars are reconstructed with a Gaussian
likelihood whose per-column scale is learned (kept within [0.01, 1]), every one-hot block (modes and
categories) with a cross-entropy, all blocks in one padded log-softmax. Sampling decodes standard
normal latents, adds the learned noise to the scalars and draws each block's category from its softmax.

>>> gen = create_generator("vae", epochs=100, random_state=0).fit(df)
>>> gen.sample(1000)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ._base import DeepGenerator
from ._torch import Blocks, flat_parameters, nn, steps_per_epoch, torch

__all__ = ["VAEGenerator"]


def _mlp(n_in: int, dims: Sequence[int]) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    width = n_in
    for d in dims:
        layers += [nn.Linear(width, int(d)), nn.ReLU()]
        width = int(d)
    return nn.Sequential(*layers), width


class _Encoder(nn.Module):
    def __init__(self, n_in: int, dims: Sequence[int], latent: int) -> None:
        super().__init__()
        self.body, width = _mlp(n_in, dims)
        self.mu = nn.Linear(width, latent)
        self.logvar = nn.Linear(width, latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class _Loss(torch.autograd.Function):
    """The VAE's loss per row, ``(factor x reconstruction + KL) / rows``, with its gradient written out.

    Reconstruction: Gaussian negative log-likelihood of the scalars around ``tanh(out)`` with per-column scale
    ``sigma``, plus the cross-entropy of every one-hot block; KL: of N(mu, exp(logvar)) from N(0, I) (Kingma &
    Welling 2014). Autograd would record some thirty small operations for these and replay about as many
    backwards at every step; the gradients are short closed forms (softmax minus one-hot for a block,
    -r (1 - tanh^2) / sigma^2 for a scalar, mu and (exp(logvar) - 1) / 2 for the KL), so one node does it.
    Returns the loss, and the reconstruction and KL sums per row for the progress line (no gradient).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        out: torch.Tensor,
        x: torch.Tensor,
        sigma: torch.Tensor,
        mu: torch.Tensor,
        logvar: torch.Tensor,
        ns: int,
        blocks: Blocks,
        factor: float,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rows = max(1, x.shape[0])
        t = torch.tanh(out[:, :ns])
        r = x[:, :ns] - t
        r2 = (r * r).sum(0)
        rec = 0.5 * (r2 / (sigma * sigma)).sum() + torch.log(sigma).sum() * x.shape[0]
        soft = None
        if out.shape[1] > ns:
            logits, onehot = out[:, ns:], x[:, ns:]
            e, top = blocks._exp(logits)
            per_block = e @ blocks.sum_matrix
            rec = rec + (torch.log(per_block) + top).sum() - (onehot * logits).sum()
            soft = e.div_(per_block.index_select(1, blocks.member))
        var = logvar.exp()
        kl = -0.5 * (logvar.sum() + logvar.numel() - (mu * mu).sum() - var.sum())
        ctx.save_for_backward(x, r, t, r2, sigma, mu, var, soft)
        ctx.ns, ctx.factor, ctx.rows = ns, factor, rows
        loss = (factor * rec + kl) / rows
        ctx.mark_non_differentiable(rec, kl)
        return loss, rec / rows, kl / rows

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor, *_: Any) -> tuple[Any, ...]:  # type: ignore[override]
        x, r, t, r2, sigma, mu, var, soft = ctx.saved_tensors
        ns, scale = ctx.ns, g / ctx.rows
        rec_scale = scale * ctx.factor
        grad_out = torch.empty((x.shape[0], x.shape[1]), dtype=x.dtype, device=x.device)
        inv = 1.0 / (sigma * sigma)
        torch.mul(r * (t * t - 1.0), inv * rec_scale, out=grad_out[:, :ns])
        if soft is not None:
            torch.mul(soft - x[:, ns:], rec_scale, out=grad_out[:, ns:])
        grad_sigma = (x.shape[0] / sigma - r2 * inv / sigma) * rec_scale
        return grad_out, None, grad_sigma, mu * scale, (var - 1.0) * (0.5 * scale), None, None, None


class _Decoder(nn.Module):
    def __init__(self, latent: int, dims: Sequence[int], n_out: int, n_scalars: int) -> None:
        super().__init__()
        body, width = _mlp(latent, dims)
        self.net = nn.Sequential(body, nn.Linear(width, n_out))
        self.sigma = nn.Parameter(torch.full((n_scalars,), 0.1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(z)
        return out


class VAEGenerator(DeepGenerator):
    """Tabular VAE on mode-specific normalisation.

    Parameters
    ----------
    epochs : most passes over the training rows (an epoch is ``rows // batch_size`` steps).
    max_minutes : time budget of ``fit`` in minutes (``None``: no budget); whichever of this and
        ``epochs`` ends first stops training.
    batch_size : rows per step.
    embedding_dim : size of the latent space.
    compress_dims, decompress_dims : hidden layer widths of the encoder and the decoder.
    loss_factor : weight of the reconstruction loss against the KL divergence.
    learning_rate : Adam learning rate.
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
        'simulacra[dp]'``): the domain must come from a public schema, numeric columns are encoded through
        their public bounds, the decoder's output noise scale stays at its start value (0.1), and there is no
        early stopping. ``None`` (default): not private.
    max_grad_norm : DP-SGD's per-example gradient clipping norm.
    domain_share : under DP, share of the budget for privately estimating numeric and datetime bounds the
        schema lacks (``None``: the schema must give them).
    random_state : seed of fitting and of the default sampling stream.
    locale : Faker locale for PII surrogates.
    """

    name: ClassVar[str] = "vae"

    def __init__(
        self,
        *,
        epochs: int = 300,
        max_minutes: float | None = 10.0,
        batch_size: int = 500,
        embedding_dim: int = 128,
        compress_dims: Sequence[int] = (128, 128),
        decompress_dims: Sequence[int] = (128, 128),
        loss_factor: float = 2.0,
        learning_rate: float = 1e-3,
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
        self.compress_dims = compress_dims
        self.decompress_dims = decompress_dims
        self.loss_factor = loss_factor
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
        if isinstance(self.embedding_dim, bool) or not isinstance(self.embedding_dim, int) or self.embedding_dim < 1:
            problems.append(f"embedding_dim={self.embedding_dim!r}; use an integer >= 1")
        for key in ("compress_dims", "decompress_dims"):
            value = getattr(self, key)
            if not isinstance(value, (list, tuple)) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in value
            ):
                problems.append(f"{key}={value!r}; use a list of positive integers")
        if not isinstance(self.loss_factor, (int, float)) or self.loss_factor <= 0:
            problems.append(f"loss_factor={self.loss_factor!r}; use a positive number")
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 1:
            problems.append(f"learning_rate={self.learning_rate!r}; use a number in (0, 1)")
        return problems

    # -- networks -----------------------------------------------------------------------------
    def _make_decoder(self) -> None:
        layout = self.encoder_.layout
        self.dec_ = _Decoder(self.embedding_dim, list(self.decompress_dims), layout.width, layout.n_scalars)
        self.dec_.to(self.device_)

    def _build(self, x: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> None:
        layout = self.encoder_.layout
        self._make_decoder()
        self.enc_ = _Encoder(layout.width, list(self.compress_dims), self.embedding_dim).to(self.device_)
        if self.dp_plan_ is not None:
            # DP-SGD on every weight that sees real rows; the output noise scale is not a per-example
            # parameter Opacus can clip, so it stays at its start value
            self.dec_.sigma.requires_grad_(False)
        params: list[torch.Tensor] = [p for p in [*self.enc_.parameters(), *self.dec_.parameters()] if p.requires_grad]
        # without DP: every weight a view of one flat parameter, stepped by the fused Adam kernel (one call,
        # no per-tensor Python work); Opacus needs the separate
        # parameters (per-example gradients) and wraps the optimiser, so that path keeps the plain one
        plain = self.dp_plan_ is not None
        self.flat_ = None if plain else flat_parameters(params)
        groups: list[torch.Tensor] = list(params) if self.flat_ is None else [self.flat_]
        self.opt_ = torch.optim.Adam(groups, lr=float(self.learning_rate), weight_decay=1e-5, fused=not plain)
        if self.dp_plan_ is not None:
            from ._dp import wrap_private

            both = nn.ModuleDict({"encoder": self.enc_, "decoder": self.dec_})
            self.dp_module_, self.opt_ = wrap_private(both, self.opt_, self.dp_plan_, loss_reduction="mean")
        self.x_ = torch.from_numpy(x).to(self.device_)
        self.steps_ = steps_per_epoch(len(x), self.batch_size)

    # -- training -----------------------------------------------------------------------------
    def _batches(self, rng: np.random.Generator) -> list[torch.Tensor]:
        """Row indices of each step: a shuffled partition, or Poisson samples under DP-SGD."""
        if self.dp_plan_ is not None:
            from ._dp import poisson_batches

            return [torch.from_numpy(b).to(self.device_) for b in poisson_batches(self.dp_plan_, rng)]
        n = len(self.x_)
        b = min(self.batch_size, n)
        order = torch.from_numpy(rng.permutation(n)).to(self.device_)
        return [order[step * b : (step + 1) * b] for step in range(self.steps_)]

    def _rows(self, rng: np.random.Generator) -> list[torch.Tensor]:
        """The training rows of each step: one shuffled copy per epoch, cut in contiguous slices (a gather
        per step costs more than the copy)."""
        if self.dp_plan_ is not None:
            return [self.x_[idx] for idx in self._batches(rng)]
        n = len(self.x_)
        b = min(self.batch_size, n)
        shuffled = self.x_.index_select(0, torch.from_numpy(rng.permutation(n)).to(self.device_))
        return [shuffled[step * b : (step + 1) * b] for step in range(self.steps_)]

    def _epoch(self, rng: np.random.Generator) -> dict[str, float]:
        self.enc_.train()
        self.dec_.train()
        ns = self.encoder_.layout.n_scalars
        sum_rec = sum_kl = 0.0
        factor = float(self.loss_factor)
        batches = self._rows(rng)
        for x in batches:
            mu, logvar = self.enc_(x)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            out = self.dec_(z)
            sigma = self.dec_.sigma
            # an empty Poisson batch still takes its (noise-only) DP step: the loss divides by max(1, rows)
            loss, rec, kl = _Loss.apply(out, x, sigma, mu, logvar, ns, self.blocks_, factor)
            if self.flat_ is None:
                self.opt_.zero_grad(set_to_none=True)
            else:
                self.flat_.grad.zero_()  # type: ignore[union-attr]
            loss.backward()
            self.opt_.step()
            with torch.no_grad():
                sigma.clamp_(0.01, 1.0)
            sum_rec += float(rec.detach())
            sum_kl += float(kl.detach())
        steps = max(1, len(batches))
        return {"reconstruction": sum_rec / steps, "kl": sum_kl / steps}

    # -- sampling -----------------------------------------------------------------------------
    def _generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        was_training = self.dec_.training
        self.dec_.eval()
        z = torch.from_numpy(rng.standard_normal((n, self.embedding_dim)).astype(np.float32)).to(self.device_)
        with torch.no_grad():
            raw = self.dec_(z).cpu().numpy()
            sigma = self.dec_.sigma.detach().cpu().numpy()
        self.dec_.train(was_training)
        ns = self.encoder_.layout.n_scalars
        scalars = np.tanh(raw[:, :ns]) + sigma[None, :] * rng.standard_normal((n, ns))
        return scalars, raw[:, ns:]

    # -- state --------------------------------------------------------------------------------
    def _modules(self) -> dict[str, torch.nn.Module]:
        return {"decoder": self.dec_}

    def _restore(self, extra: Mapping[str, Any]) -> None:
        self._make_decoder()

    def _end_fit(self) -> None:
        dp_module = self.__dict__.pop("dp_module_", None)
        if dp_module is not None:
            dp_module.to_standard_module()  # removes Opacus' hooks and grad samples from the kept decoder
        self.dec_.eval()
        if self.__dict__.pop("flat_", None) is not None:  # the kept decoder gets storage of its own
            for p in self.dec_.parameters():
                p.data = p.data.clone()
                p.grad = None
        for key in ("enc_", "opt_", "x_"):
            self.__dict__.pop(key, None)
