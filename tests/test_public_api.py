import subprocess
import sys

import simulacra


def test_all_is_sorted_and_importable() -> None:
    assert simulacra.__all__ == sorted(simulacra.__all__)
    for name in simulacra.__all__:
        assert hasattr(simulacra, name), name


def test_import_loads_no_torch() -> None:
    code = "import sys, simulacra; simulacra.list_generators(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_error_hierarchy_matches_builtins() -> None:
    assert issubclass(simulacra.InputError, ValueError)
    assert issubclass(simulacra.InputFileError, OSError)
    assert issubclass(simulacra.SchemaError, ValueError)
    assert issubclass(simulacra.NotFittedError, AttributeError)
    assert issubclass(simulacra.MissingDependencyError, ImportError)
    for cls in (simulacra.InputError, simulacra.SchemaError, simulacra.ModelFileError, simulacra.OutputError):
        assert issubclass(cls, simulacra.SimulacraError)


def test_list_and_create_generators() -> None:
    assert "gaussian_copula" in simulacra.list_generators()
    gen = simulacra.create_generator("gaussian_copula", random_state=3, marginals="empirical")
    assert gen.get_params()["marginals"] == "empirical"


def test_unknown_generator_and_parameter_are_named() -> None:
    import pytest

    with pytest.raises(simulacra.ParameterError, match=r"available: .*gaussian_copula"):
        simulacra.create_generator("nope")
    with pytest.raises(simulacra.ParameterError, match="margnals"):
        simulacra.create_generator("gaussian_copula", margnals="empirical")
