"""Frozen-dataclass configs: nested to/from dicts, TOML/YAML files, dotted CLI overrides.

Each component owns a frozen dataclass (``DataConfig``, ``TrainConfig``, ...) that checks
its values in ``__post_init__``. This module only converts: it never guesses types.
Unknown keys are rejected with the list of valid ones, as nanoGPT does, without ``exec``.

One vocabulary for every command and the Python API: the sections are those of
``qaug.experiments.ExperimentConfig`` (``seed``, ``data``, ``classifier``, ``train``,
``augment``, ``gan.<kind>``, ``adversarial.<kind>``, ``quality``). In a per-kind section
(a dataclass with ``PER_KIND = True``) a key without a kind, such as ``adversarial.lr_g=0.1``,
sets that key of every kind. Renamed keys (``RENAMED_KEYS``) still work with a FutureWarning;
removed ones (``REMOVED_KEYS``) raise an error that names the replacement. Fields whose
metadata is ``HASH_IF_CHANGED`` (added after results were committed) enter a config's hash
only when they differ from their default, so adding them keeps existing hashes.

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
import warnings
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "config_from_dict",
    "config_to_dict",
    "apply_overrides",
    "load_config_file",
    "config_hash",
    "HASH_IF_CHANGED",
    "RENAMED_KEYS",
    "REMOVED_KEYS",
]

HASH_IF_CHANGED = {"hash": "if-changed"}
# Old dotted key (or section) -> new one. Accepted with a FutureWarning.
RENAMED_KEYS = {
    "adv": "adversarial",  # train-gan / augment before the vocabulary was unified
    "model": "classifier",  # train-classifier / augment
    "augment.n_rounds": "augment.rounds",  # qaug augment
}
# Old key -> what to use instead (an error: these have no one-to-one replacement).
REMOVED_KEYS = {
    "augment.strategy": "the strategy is part of augment.method: none, traditional, <kind> "
                        "(general) or <kind>_customized, e.g. augment.method=qgan_customized "
                        "(qaug augment also takes --strategy and --generator)",
    "augment.generator": "the generator kind is part of augment.method, e.g. "
                         "augment.method=dcgan or augment.method=dcgan_customized",
    "gan.kind": "the generator kind is chosen by --generator (train-gan) or augment.method "
                "(augment, run); the settings of kind K are gan.K.* / adversarial.K.*",
}

T = TypeVar("T")


def _is_default(f: dataclasses.Field, value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return value == f.default
    if f.default_factory is not dataclasses.MISSING:
        return value == f.default_factory()
    return False


def config_to_dict(cfg: Any, *, for_hash: bool = False) -> dict:
    """Nested plain dict (tuples become lists) of a dataclass config.

    With ``for_hash``, fields marked ``HASH_IF_CHANGED`` are left out while at their default.
    """

    def keep(f, v) -> bool:
        return not (for_hash and f.metadata.get("hash") == "if-changed" and _is_default(f, v))

    def conv(v):
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)
                    if keep(f, getattr(v, f.name))}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        return v

    return conv(cfg)


def config_hash(cfg: Any, length: int = 12) -> str:
    """Stable short hash of a config's content (used to cache and resume runs)."""
    import hashlib

    text = json.dumps(config_to_dict(cfg, for_hash=True), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _coerce(value: Any, tp: Any, where: str, base: Any = None) -> Any:
    """Convert ``value`` (from JSON/TOML/YAML/CLI text) to type ``tp`` or raise TypeError.

    ``base``: for a dataclass ``tp``, the config whose values a table's missing keys keep
    (default: ``tp``'s own defaults).
    """
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
        return config_from_dict(tp, value, _where=where, _base=base)
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


def config_from_dict(cls: type[T], data: dict, _where: str = "", _base: Any = None) -> T:
    """Build dataclass ``cls`` from a nested dict; unknown keys raise ValueError listing valid ones.

    Keys a table leaves out take ``cls``'s defaults (``_base``'s values when given). In a
    per-kind section they take the kind's slot default: ``[gan.latent]`` with only ``depth``
    keeps ``default_gan_config("latent")``'s other values, not ``GANConfig``'s.
    """
    if not isinstance(data, dict):
        raise TypeError(f"config{' ' + _where if _where else ''} must be a dict; got {data!r}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    prefix = f"{_where}." if _where else ""
    done = _where.split(".") if _where else []
    data = {k if k in fields else ".".join(_current_key(done, [k]) or [k]): v
            for k, v in data.items()}
    shared = {}
    if getattr(cls, "PER_KIND", False):  # keys without a kind apply to every kind
        slot_fields = {f.name for f in dataclasses.fields(hints[next(iter(fields))])}
        shared = {k: data.pop(k) for k in list(data) if k not in fields and k in slot_fields}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(
            f"unknown config key(s) {[prefix + k for k in unknown]}; valid keys here: "
            f"{sorted(prefix + k for k in fields)}."
        )
    per_kind = getattr(cls, "PER_KIND", False)
    kwargs = {}
    for name, value in data.items():
        where = f"{_where}.{name}" if _where else name
        slot = fields[name].default_factory() if per_kind else None  # the kind's defaults
        kwargs[name] = _coerce(value, hints[name], where, slot)
    cfg = cls(**kwargs) if _base is None else dataclasses.replace(_base, **kwargs)
    for name, value in shared.items():
        cfg = _set_path(cfg, [name], value, prefix + name, tuple(done))
    return cfg


def _current_key(done: list[str], rest: list[str]) -> list[str] | None:
    """``rest`` (below the section ``done``) in today's vocabulary, or None if not an old key.

    Renamed keys are mapped with a FutureWarning; removed ones raise a ValueError naming what
    to use instead. Rules match anywhere in the path (``base.adv.lr_g`` in a sweep file too).
    """
    parts, n = done + rest, len(done)
    for table in (REMOVED_KEYS, RENAMED_KEYS):
        for old, new in table.items():
            old_parts = old.split(".")
            for i in range(max(0, n - len(old_parts) + 1), n + 1):
                if parts[i:i + len(old_parts)] != old_parts:
                    continue
                key = ".".join(parts)
                if table is REMOVED_KEYS:
                    raise ValueError(f"config key {key!r} was removed: {new}.")
                renamed = parts[:i] + new.split(".") + parts[i + len(old_parts):]
                if renamed[:n] != done:
                    continue
                warnings.warn(f"config key {key!r} is deprecated; use {'.'.join(renamed)!r}.",
                              FutureWarning, stacklevel=5)
                return renamed[n:]
    return None


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


def _set_path(cfg: Any, path: list[str], value: Any, full: str, done: tuple = ()) -> Any:
    if not dataclasses.is_dataclass(cfg):
        raise ValueError(f"override {full!r}: {path[0]!r} is not a config section.")
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    if path[0] not in fields and (renamed := _current_key(list(done), path)) is not None:
        path = renamed
    head = path[0]
    if head not in fields and getattr(cfg, "PER_KIND", False):
        slot_fields = sorted(f.name for f in dataclasses.fields(getattr(cfg, next(iter(fields)))))
        if head not in slot_fields:
            raise ValueError(f"unknown config key {full!r}; valid keys here: a kind "
                             f"{sorted(fields)}, or a key of every kind {slot_fields}.")
        return dataclasses.replace(cfg, **{k: _set_path(getattr(cfg, k), path, value, full,
                                                        (*done, k)) for k in fields})
    if head not in fields:
        raise ValueError(f"unknown config key {full!r}; valid keys here: {sorted(fields)}.")
    if len(path) == 1:
        hints = typing.get_type_hints(type(cfg))
        return dataclasses.replace(cfg, **{head: _coerce(value, hints[head], full)})
    sub = _set_path(getattr(cfg, head), path[1:], value, full, (*done, head))
    return dataclasses.replace(cfg, **{head: sub})


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
