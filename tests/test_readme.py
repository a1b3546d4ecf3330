"""The README's Python example must run as written (slow: it trains three QGANs and two HQCNNs)."""

import json
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


def test_readme_results_table_quotes_the_committed_verdicts():
    """Every ``setting`` claim: **verdict** of the results table matches its report word for word."""
    text = README.read_text()
    table = text[text.index("| preset | setting |"):]
    table = table[:table.index("\n\n")]
    seen = 0
    for line in table.splitlines()[2:]:
        preset = re.search(r"\[(\w+)\]\(docs/results/\1/report\.md\)", line).group(1)
        res = json.loads((README.parent / "docs" / "results" / preset / "results.json").read_text())
        verdicts = {(s, c["claim"]): "; ".join([c["verdict"], *c.get("flags", [])])
                    for s, cs in res["claims"].items() for c in cs if c["verdict"] != "not tested"}
        quoted = {(s, claim): v for s, claim, v in
                  re.findall(r"`(\w+)` ([^`*<|]+?): \*\*([^*]+)\*\*", line)}
        assert quoted == verdicts, preset
        report = (README.parent / "docs" / "results" / preset / "report.md").read_text()
        assert all(f"**{v}**" in report for v in quoted.values())
        seen += len(quoted)
    assert seen > 20
