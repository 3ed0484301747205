"""Generator registry: names mapped to "module:Class", imported only when asked for."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import MissingDependencyError, ParameterError

if TYPE_CHECKING:
    from .generators.base import Generator

__all__ = ["GeneratorInfo", "create_generator", "describe_generators", "generator_class", "list_generators"]


@dataclass(frozen=True)
class GeneratorInfo:
    name: str
    target: str
    summary: str
    extra: str | None = None


_REGISTRY: dict[str, GeneratorInfo] = {}


def register(name: str, target: str, summary: str, extra: str | None = None) -> None:
    """Register a generator under ``name``; ``target`` is ``"package.module:Class"``."""
    _REGISTRY[name] = GeneratorInfo(name=name, target=target, summary=summary, extra=extra)


register(
    "gaussian_copula",
    "simulacra.generators.statistical.gaussian_copula:GaussianCopulaGenerator",
    "Gaussian copula over per-column marginals; fast statistical baseline",
)
register(
    "mst",
    "simulacra.generators.statistical.marginal:MSTGenerator",
    "differentially private: noisy 1- and 2-way marginals on a private spanning tree (MST)",
    extra="dp",
)
register(
    "aim",
    "simulacra.generators.statistical.marginal:AIMGenerator",
    "differentially private: adaptively chosen noisy marginals of a 3-way workload (AIM)",
    extra="dp",
)
register(
    "privbayes",
    "simulacra.generators.statistical.privbayes:PrivBayesGenerator",
    "differentially private Bayesian network (PrivBayes); needs a public schema",
    extra="dp",
)
register("gan", "simulacra.generators.deep.gan:GANGenerator", "conditional tabular GAN (CTGAN-style)", extra="deep")
register("vae", "simulacra.generators.deep.vae:VAEGenerator", "tabular variational autoencoder (TVAE)", extra="deep")
register(
    "argn",
    "simulacra.generators.deep.argn:ARGNGenerator",
    "autoregressive network over tokenised columns (TabularARGN-style); conditional sampling and imputation",
    extra="deep",
)


def list_generators() -> list[str]:
    """Names of the registered generators, sorted."""
    return sorted(_REGISTRY)


def describe_generators() -> list[GeneratorInfo]:
    return [_REGISTRY[n] for n in list_generators()]


def generator_class(name: str) -> type[Generator]:
    """The class registered as ``name``, imported now."""
    info = _REGISTRY.get(name)
    if info is None:
        raise ParameterError(f"unknown generator {name!r}; available: {', '.join(list_generators())}")
    module_name, _, cls_name = info.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if isinstance(exc, MissingDependencyError):
            raise
        extra = f"pip install 'simulacra[{info.extra}]'" if info.extra else "reinstall simulacra"
        raise MissingDependencyError(f"generator {name!r} cannot be imported ({exc}); {extra}") from None
    cls: type[Generator] = getattr(module, cls_name)
    return cls


def generator_params(cls: type[Generator]) -> dict[str, inspect.Parameter]:
    """The keyword parameters a generator class accepts."""
    sig = inspect.signature(cls.__init__)
    return {n: p for n, p in sig.parameters.items() if n != "self" and p.kind is p.KEYWORD_ONLY}


def create_generator(name: str, **params: Any) -> Generator:
    """Create the generator registered as ``name`` with keyword parameters ``params``.

    >>> gen = create_generator("gaussian_copula", random_state=0)
    """
    cls = generator_class(name)
    allowed = generator_params(cls)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ParameterError(
            f"generator {name!r} has no parameter(s) {unknown}; its parameters are: {', '.join(sorted(allowed))}"
        )
    return cls(**params)
