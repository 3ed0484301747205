"""Personal data: replaced by surrogates, never copied.

No model column carries a PII value; only ``<name>.null`` when the column has missing cells. The inverse
draws surrogates by ``spec.pii_type``:

* ``first_name``, ``last_name``, ``person_name`` (first + last), ``email`` (user name @ free-mail domain),
  ``username``, ``street_address``, ``iban`` (valid check digits): from Faker in ``spec.locale``, else the
  table locale, else ``en_US``. Faker is seeded from the rng and asked for a small pool of parts that are
  combined with numpy, so 100k surrogates take well under a second or two;
* ``phone``, ``national_id`` and integer-typed columns: fresh values in the input's own shapes (digits
  redrawn, punctuation kept), as for identifiers, so the output has the input's format.

As for identifiers, a salted digest set of the training values rejects any surrogate equal to a real
value. Surrogates are unique when the input column was unique (a digit or initial is added only when the
pools run out), otherwise they repeat like real names do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._random import child_seed
from ..errors import ParameterError, SchemaError
from ..schema import PiiType
from ._common import HashSet, is_text_dtype, object_na, read_null
from .identifier import IdentifierTransformer, IdSpace, hash_keys, write_values

__all__ = ["PiiTransformer"]

_SHAPED = {PiiType.PHONE.value, PiiType.NATIONAL_ID.value}
_POOL = 2000


def scramble_digits(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Redraw every digit (the first of a run is never 0); other characters are kept."""
    if len(values) == 0:
        return values
    u = np.array([str(v) for v in values], dtype=str)
    width = u.dtype.itemsize // 4
    codes = np.ascontiguousarray(u).view(np.uint32).reshape(len(u), width).copy()
    digit = (codes >= 48) & (codes <= 57)
    first = digit & ~np.concatenate([np.zeros((len(u), 1), dtype=bool), digit[:, :-1]], axis=1)
    draw = rng.integers(48, 58, size=codes.shape).astype(np.uint32)
    draw[first] = rng.integers(49, 58, size=int(first.sum())).astype(np.uint32)
    codes = np.where(digit, draw, codes).astype(np.uint32)
    return np.ascontiguousarray(codes).view(f"<U{width}").reshape(len(u)).astype(object)


def iban_check(iban: str) -> str:
    """``iban`` with its two check digits recomputed (ISO 13616 mod 97)."""
    body = iban[4:] + iban[:2] + "00"
    number = int("".join(str(int(c, 36)) for c in body))
    return f"{iban[:2]}{98 - number % 97:02d}{iban[4:]}"


def _faker(locale: str, seed: int) -> Any:
    from faker import Faker

    try:
        fake = Faker(locale)
    except AttributeError:
        raise SchemaError(
            f"locale {locale!r} is not supported by Faker; set the column's locale to one such as 'en_US'"
        ) from None
    fake.seed_instance(seed)
    return fake


def _pool(fake: Any, method: str, size: int) -> np.ndarray:
    fn = getattr(fake, method)
    return np.array([fn() for _ in range(size)], dtype=object)


class PiiTransformer(IdentifierTransformer):
    """PII column -> only ``<name>.null`` (when it has missing cells); inverse draws surrogates.

    Model columns and ``transform`` are the identifier's; fitting and the inverse differ."""

    name = "pii"

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> PiiTransformer:
        self._check_data(data)
        col = data[self.col]
        missing = col.isna().to_numpy(dtype=bool)
        observed = col[~missing]
        self.dtype_ = str(col.dtype)
        self.na_ = object_na(col)
        self.has_null_ = bool(missing.any())
        self.unique_ = bool(len(observed) > 1 and observed.is_unique)
        kind = self.spec.pii_type.value if self.spec.pii_type is not None else PiiType.USERNAME.value
        self.pii_type_ = kind
        self.locale_ = self.spec.locale or self.locale or "en_US"
        shaped = kind in _SHAPED or not is_text_dtype(self.dtype_)
        self.shape_space_: IdSpace | None = IdSpace.learn(observed, self.spec.pattern) if shaped else None
        self.taken_ = HashSet.build(hash_keys(observed), rng)
        self.fitted_ = True
        return self

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        missing = read_null(model, self.col, n, self.has_null_)
        m = int((~missing).sum())
        if self.shape_space_ is not None:
            values = self.shape_space_.draw(m, self.taken_, rng, unique=self.unique_)
        else:
            values = self._surrogates(m, rng)
        return pd.DataFrame({self.col: write_values(values, missing, self.dtype_, self.na_)})

    # -- Faker surrogates ---------------------------------------------------------------------
    def _maker(self, m: int, rng: np.random.Generator) -> Callable[[int], np.ndarray]:
        fake = _faker(self.locale_, child_seed(rng))
        size = int(min(max(m, 50), 2 * _POOL if self.unique_ else _POOL))
        kind = self.pii_type_

        def pick(pool: np.ndarray, k: int) -> np.ndarray:
            return pool[rng.integers(0, len(pool), size=k)]

        if kind in (PiiType.FIRST_NAME.value, PiiType.LAST_NAME.value):
            pool = _pool(fake, kind, size)
            return lambda k: pick(pool, k)
        if kind == PiiType.PERSON_NAME.value:
            firsts, lasts = _pool(fake, "first_name", size), _pool(fake, "last_name", size)
            return lambda k: pick(firsts, k) + " " + pick(lasts, k)
        if kind == PiiType.EMAIL.value:
            users, domains = _pool(fake, "user_name", size), _pool(fake, "free_email_domain", 50)
            return lambda k: pick(users, k) + "@" + pick(domains, k)
        if kind == PiiType.STREET_ADDRESS.value:
            addresses = _pool(fake, "street_address", size)
            return lambda k: scramble_digits(pick(addresses, k), rng)
        if kind == PiiType.IBAN.value:
            ibans = _pool(fake, "iban", min(size, 200))

            def make_iban(k: int) -> np.ndarray:
                raw = pick(ibans, k)
                bodies = scramble_digits(np.array([s[4:] for s in raw], dtype=object), rng)
                return np.array([iban_check(s[:4] + b) for s, b in zip(raw, bodies, strict=True)], dtype=object)

            return make_iban
        users = _pool(fake, "user_name", size)
        return lambda k: pick(users, k)

    def _vary(self, values: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
        """More diverse values once the pools run out (unique columns only); ``level`` 1, 2, ... adds more."""
        kind = self.pii_type_
        if kind in (PiiType.STREET_ADDRESS.value, PiiType.IBAN.value):
            return values
        if kind == PiiType.PERSON_NAME.value:
            initials = rng.integers(65, 91, size=len(values))
            values = np.array(
                [v.replace(" ", f" {chr(i)}. ", 1) for v, i in zip(values, initials, strict=True)], dtype=object
            )
            level -= 1
            if level == 0:
                return values
        digits = rng.integers(10 ** (level - 1), 10 ** (level + 1), size=len(values))
        if kind == PiiType.EMAIL.value:
            return np.array([v.replace("@", f"{d}@", 1) for v, d in zip(values, digits, strict=True)], dtype=object)
        return np.array([f"{v}{d}" for v, d in zip(values, digits, strict=True)], dtype=object)

    def _surrogates(self, m: int, rng: np.random.Generator) -> np.ndarray:
        if m == 0:
            return np.zeros(0, dtype=object)
        make = self._maker(m, rng)
        calls = [0]

        def draw(k: int) -> np.ndarray:
            calls[0] += 1
            level = calls[0] // 4
            return make(k) if level == 0 else self._vary(make(k), level, rng)

        got = IdSpace._fill(draw, m, self.taken_, self.unique_, rounds=40)
        if got is None:
            raise ParameterError(f"cannot draw {m} unused surrogates for column {self.col!r}; sample fewer rows")
        return got

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "dtype": self.dtype_,
            "na": self.na_,
            "has_null": self.has_null_,
            "unique": self.unique_,
            "pii_type": self.pii_type_,
            "locale": self.locale_,
            "space": self.shape_space_.to_state() if self.shape_space_ is not None else None,
            "taken": self.taken_.to_state(),
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.dtype_ = str(state["dtype"])
        self.na_ = str(state.get("na", "nan"))
        self.has_null_ = bool(state["has_null"])
        self.unique_ = bool(state["unique"])
        self.pii_type_ = str(state["pii_type"])
        self.locale_ = str(state["locale"])
        space = state.get("space")
        self.shape_space_ = IdSpace(space) if space is not None else None
        self.taken_ = HashSet.from_state(state["taken"])
        self.fitted_ = True
