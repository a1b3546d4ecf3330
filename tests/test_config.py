from dataclasses import dataclass, field

import pytest

from qaug._config import (
    apply_overrides,
    config_from_dict,
    config_hash,
    config_to_dict,
    load_config_file,
)


@dataclass(frozen=True)
class Inner:
    lr: float = 0.01
    sizes: tuple[int, ...] = (8,)
    name: str | None = None


@dataclass(frozen=True)
class Outer:
    seed: int = 0
    flag: bool = False
    counts: dict[int, int] = field(default_factory=dict)
    inner: Inner = field(default_factory=Inner)


def test_round_trip_and_hash():
    cfg = Outer(seed=3, counts={2: 20}, inner=Inner(lr=0.1, sizes=(8, 16)))
    d = config_to_dict(cfg)
    assert d == {"seed": 3, "flag": False, "counts": {"2": 20},
                 "inner": {"lr": 0.1, "sizes": [8, 16], "name": None}}
    assert config_from_dict(Outer, d) == cfg
    assert config_hash(cfg) == config_hash(config_from_dict(Outer, d))
    assert config_hash(cfg) != config_hash(Outer())


def test_overrides_are_typed():
    cfg = apply_overrides(Outer(), ["inner.lr=0.5", "--seed=4", "flag=true", "inner.sizes=[8, 16]",
                                    'counts={"2": 5}', "inner.name=abc"])
    assert cfg == Outer(seed=4, flag=True, counts={2: 5}, inner=Inner(lr=0.5, sizes=(8, 16), name="abc"))
    assert apply_overrides(Outer(), {"inner.lr": 1}).inner.lr == 1.0


@pytest.mark.parametrize("override, error, message", [
    (["inner.lrr=1"], ValueError,
     r"unknown config key 'inner.lrr'; valid keys here: \['lr', 'name', 'sizes'\]"),
    (["seed=abc"], TypeError, "seed must be an integer; got 'abc'"),
    (["flag=maybe"], TypeError, "flag must be true or false"),
    (["seed"], ValueError, "must look like key.sub=value"),
    (["seed.x=1"], ValueError, "is not a config section"),
])
def test_exception_overrides(override, error, message):
    with pytest.raises(error, match=message):
        apply_overrides(Outer(), override)


def test_exception_unknown_keys_in_dict():
    with pytest.raises(ValueError, match=r"unknown config key\(s\) \['inner.bogus'\]"):
        config_from_dict(Outer, {"inner": {"bogus": 1}})


def test_load_toml_yaml_json(tmp_path):
    (tmp_path / "a.toml").write_text("seed = 2\n[inner]\nlr = 0.3\n")
    (tmp_path / "a.yaml").write_text("seed: 2\ninner:\n  lr: 0.3\n")
    (tmp_path / "a.json").write_text('{"seed": 2, "inner": {"lr": 0.3}}')
    for name in ("a.toml", "a.yaml", "a.json"):
        loaded = config_from_dict(Outer, load_config_file(tmp_path / name))
        assert loaded == Outer(seed=2, inner=Inner(lr=0.3))
    with pytest.raises(ValueError, match="must end in .toml, .yaml, .yml or .json"):
        (tmp_path / "a.txt").write_text("")
        load_config_file(tmp_path / "a.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_config_file(tmp_path / "missing.toml")
