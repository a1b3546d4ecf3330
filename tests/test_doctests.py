"""Run the docstring examples of every qaug module (they are documentation that must stay true)."""

import doctest
import importlib
import pkgutil

import pytest

import qaug

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(qaug.__path__, prefix="qaug.") if "presets" not in m.name
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_modules_found():
    assert "qaug.quantum._engine" in MODULES and "qaug.cli" in MODULES
