"""Frozen-dataclass configs: nested to/from dicts, TOML/YAML files, dotted CLI overrides.

Each component owns a frozen dataclass (``DataConfig``, ``TrainConfig``, ...) that checks
its values in ``__post_init__``. This module only converts: it never guesses types.
Unknown keys are rejected with the list of valid ones, as nanoGPT does, without ``exec``.

Example:
    >>> from qaug.data import DataConfig
    >>> cfg = apply_overrides(DataConfig(), ["image_size=16", "classes=[3, 5]"])
    >>> cfg.image_size, cfg.classes
    (16, (3, 5))
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "config_from_dict",
    "config_to_dict",
    "apply_overrides",
    "load_config_file",
    "config_hash",
]

T = TypeVar("T")


def config_to_dict(cfg: Any) -> dict:
    """Nested plain dict (tuples become lists) of a dataclass config."""

    def conv(v):
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        return v

    return conv(cfg)


def config_hash(cfg: Any, length: int = 12) -> str:
    """Stable short hash of a config's content (used to cache and resume runs)."""
    import hashlib

    text = json.dumps(config_to_dict(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Convert ``value`` (from JSON/TOML/YAML/CLI text) to type ``tp`` or raise TypeError."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, where)
            except (TypeError, ValueError) as e:
                errors.append(str(e))
        raise TypeError(f"{where}: {value!r} matches none of {tp}: {'; '.join(errors)}")
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"{where} must be one of {list(args)}; got {value!r}.")
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise TypeError(f"{where} must be a table/dict; got {value!r}.")
        return config_from_dict(tp, value, _where=where)
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip() != ""]
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{where} must be a list; got {value!r}.")
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], where) for v in value)
        if origin is tuple and args:
            if len(args) != len(value):
                raise ValueError(f"{where} needs {len(args)} items; got {value!r}.")
            return tuple(_coerce(v, a, where) for v, a in zip(value, args))
        inner = args[0] if args else Any
        return origin(_coerce(v, inner, where) for v in value)
    if origin is dict:
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, dict):
            raise TypeError(f"{where} must be a dict; got {value!r}.")
        kt, vt = args if args else (Any, Any)
        return {_coerce(k, kt, where): _coerce(v, vt, where) for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise TypeError(f"{where} must be true or false; got {value!r}.")
    if tp is int:
        if isinstance(value, bool):
            raise TypeError(f"{where} must be an integer; got {value!r}.")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError(f"{where} must be an integer; got {value!r}.")
    if tp is float:
        if isinstance(value, bool):
            raise TypeError(f"{where} must be a number; got {value!r}.")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{where} must be a number; got {value!r}.") from None
    if tp is str:
        if not isinstance(value, str):
            raise TypeError(f"{where} must be a string; got {value!r}.")
        return value
    return value


def config_from_dict(cls: type[T], data: dict, _where: str = "") -> T:
    """Build dataclass ``cls`` from a nested dict; unknown keys raise ValueError listing valid ones."""
    if not isinstance(data, dict):
        raise TypeError(f"config{' ' + _where if _where else ''} must be a dict; got {data!r}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        prefix = f"{_where}." if _where else ""
        raise ValueError(
            f"unknown config key(s) {[prefix + k for k in unknown]}; valid keys here: "
            f"{sorted(prefix + k for k in fields)}."
        )
    kwargs = {}
    for name, value in data.items():
        where = f"{_where}.{name}" if _where else name
        kwargs[name] = _coerce(value, hints[name], where)
    return cls(**kwargs)


def _parse_scalar(text: str) -> Any:
    """CLI value text -> Python value, via JSON when it parses (numbers, lists, true/false)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(cfg: T, overrides: list[str] | dict[str, Any]) -> T:
    """Return a copy of ``cfg`` with dotted overrides applied (``["train.lr=0.01"]`` or a dict).

    Values are type-checked against the dataclass fields; unknown keys raise ValueError.
    """
    items: list[tuple[str, Any]] = []
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        for ov in overrides:
            ov = ov[2:] if ov.startswith("--") else ov
            if "=" not in ov:
                raise ValueError(
                    f"override {ov!r} must look like key.sub=value, e.g. train.lr=0.01."
                )
            k, v = ov.split("=", 1)
            items.append((k.strip(), _parse_scalar(v.strip())))
    for key, value in items:
        cfg = _set_path(cfg, key.split("."), value, key)
    return cfg


def _set_path(cfg: Any, path: list[str], value: Any, full: str) -> Any:
    if not dataclasses.is_dataclass(cfg):
        raise ValueError(f"override {full!r}: {path[0]!r} is not a config section.")
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    head = path[0]
    if head not in fields:
        raise ValueError(f"unknown config key {full!r}; valid keys here: {sorted(fields)}.")
    if len(path) == 1:
        hints = typing.get_type_hints(type(cfg))
        return dataclasses.replace(cfg, **{head: _coerce(value, hints[head], full)})
    return dataclasses.replace(cfg, **{head: _set_path(getattr(cfg, head), path[1:], value, full)})


def load_config_file(path: str | Path) -> dict:
    """Read a TOML (.toml) or YAML (.yaml/.yml) or JSON file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        import tomllib

        with path.open("rb") as f:
            return tomllib.load(f)
    if suffix in (".yaml", ".yml"):
        import yaml

        with path.open() as f:
            return yaml.safe_load(f) or {}
    if suffix == ".json":
        return json.loads(path.read_text())
    raise ValueError(f"config file {str(path)!r} must end in .toml, .yaml, .yml or .json.")
