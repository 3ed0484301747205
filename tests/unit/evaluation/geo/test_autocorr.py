"""Moran's I judges every table on the same number of points."""

from __future__ import annotations

import numpy as np
import pandas as pd

import simulacra
from simulacra.evaluation.geo.autocorr import equal_n_morans_i, morans_i


def _field(n: int, seed: int) -> pd.DataFrame:
    """Points on a value field with structure at a ~10 km scale, plus noise."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(34.0, 35.0, n)
    lon = rng.uniform(-119.0, -118.0, n)
    value = np.sin(31 * lat) + np.cos(31 * lon) + rng.normal(0, 0.5, n)
    return pd.DataFrame({"latitude": lat.round(4), "longitude": lon.round(4), "value": value})


def test_morans_i_falls_as_points_thin_out() -> None:
    # why the metric needs equal counts: the same field sampled more densely looks more autocorrelated
    big = _field(6000, 0)
    dense = morans_i(big.latitude.to_numpy(), big.longitude.to_numpy(), big.value.to_numpy())
    sparse = equal_n_morans_i(
        (big.latitude.to_numpy(), big.longitude.to_numpy(), big.value.to_numpy()), 600, np.random.default_rng(0)
    )
    assert dense > sparse + 0.2


def test_a_smaller_fresh_sample_scores_like_the_real_table() -> None:
    real, synthetic = _field(5000, 1), _field(800, 2)  # same process, far fewer synthetic rows
    schema = simulacra.profile(real)
    ev = simulacra.evaluate(real, synthetic, schema, holdout=_field(800, 3), metrics=["geo.morans_i"])
    result = ev.results["geo.morans_i"]
    figures = result.details["columns"]["latitude/longitude"]["value"]
    assert figures["points"] == 800
    assert abs(figures["real"] - figures["synthetic"]) < 0.04
    assert result.score > 0.96 and result.reference is not None and result.reference > 0.96


def test_a_shuffled_table_scores_low() -> None:
    real = _field(3000, 4)
    shuffled = real.assign(value=real.value.sample(frac=1.0, random_state=0).to_numpy())
    ev = simulacra.evaluate(real, shuffled, simulacra.profile(real), metrics=["geo.morans_i"])
    figures = ev.results["geo.morans_i"].details["columns"]["latitude/longitude"]["value"]
    assert figures["real"] > 0.5 and abs(figures["synthetic"]) < 0.1
