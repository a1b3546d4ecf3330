"""Packaging: the torch range, no unused dependencies, py.typed, imports under python -OO."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_torch_is_a_range_and_installed_first_by_the_set_up():
    deps = PYPROJECT["project"]["dependencies"]
    torch = [d for d in deps if d.startswith("torch")]
    assert torch == ["torch>=2.3"]  # a range: installs beside any torch build
    readme = (ROOT / "README.md").read_text()
    assert "python3 -m pip install torch==2.13.0 && python3 -m pip install -e ." in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("torch==2.13.0") < ci.index("-e '.[test")


def test_every_core_dependency_is_imported():
    import_names = {"scikit-learn": "sklearn", "pyyaml": "yaml", "pillow": "PIL"}
    sources = "\n".join(p.read_text() for p in (ROOT / "qaug").rglob("*.py"))
    for dep in PYPROJECT["project"]["dependencies"]:
        name = dep.split(">")[0].split("=")[0].split("<")[0].strip()
        module = import_names.get(name, name)
        assert f"import {module}" in sources or f"from {module}" in sources, name


def test_py_typed_ships_with_the_package():
    assert (ROOT / "qaug" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["qaug"]


def test_every_module_imports_under_optimize_2():
    code = ("import importlib, pkgutil, qaug\n"
            "for m in pkgutil.walk_packages(qaug.__path__, 'qaug.'):\n"
            "    importlib.import_module(m.name)\n"
            "import qaug.experiments\n"
            "from qaug.cli import main\n"
            "raise SystemExit(main(['train-classifier', '--print-config']))\n")
    out = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert '"classifier"' in out.stdout
