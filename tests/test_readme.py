"""The README's Python example must run as written (slow: it trains three QGANs and two HQCNNs)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_has_one_python_example():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1 and "fit_resample" in blocks[0]


@pytest.mark.slow
def test_readme_python_example_runs(capsys):
    code = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)[0]
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    per_class = namespace["evaluate"](namespace["final"], namespace["data"].test.x,
                                      namespace["data"].test.y).per_class_accuracy
    assert len(per_class) == 3 and min(per_class) > 0.5
    assert "allocated" in capsys.readouterr().out
