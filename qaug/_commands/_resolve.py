"""How every command resolves its config: defaults < --config file < flags < --dry-run < overrides.

Imported only when a command runs (it may import the stages); the parser side lives in
``_common.add_config_args``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from qaug._config import apply_overrides, config_from_dict, config_to_dict, load_config_file

__all__ = ["resolve_config", "print_config", "flag_values"]


def flag_values(args, flag_keys: dict[str, str | tuple[str, ...]]) -> dict[str, Any]:
    """``{dotted key: value}`` of the flags the user gave (flags default to None = not given)."""
    out: dict[str, Any] = {}
    for dest, keys in flag_keys.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        for key in (keys,) if isinstance(keys, str) else keys:
            out[key] = tuple(value) if isinstance(value, list) else value
    return out


def resolve_config(args, default: Any, flag_keys: dict[str, str | tuple[str, ...]], *,
                   extra_flags: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None,
                   dry_run: list[str] | tuple[str, ...] = (), base: Any = None) -> Any:
    """The resolved config of a command.

    Args:
        args: parsed arguments with ``config`` (file or None), ``overrides`` (``--a.b=v``
            strings) and, where the command has one, ``dry_run``.
        default: the command's default config (a frozen dataclass instance).
        flag_keys: flag dest -> dotted key(s) it sets (``{"n_train": "data.n_train_per_class"}``).
        extra_flags: more ``{dotted key: value}`` the command computed from its flags, or a
            function of the config before the flags that returns them.
        dry_run: caps applied with ``--dry-run`` (``"train.epochs=1"``: at most 1 epoch; a
            non-numeric value is set), before the user's own overrides.
        base: the config to start from instead of ``default`` / the --config file (e.g. a
            preset's setting).
    """
    cfg = default
    if base is not None:
        cfg = base
    elif getattr(args, "config", None):
        cfg = config_from_dict(type(default), load_config_file(args.config))
    cfg = _loss_tuned(cfg, args.overrides or [])
    if callable(extra_flags):
        extra_flags = extra_flags(cfg)
    flags = {**flag_values(args, flag_keys), **(extra_flags or {})}
    if flags:
        cfg = apply_overrides(cfg, flags)
    if getattr(args, "dry_run", False) and dry_run:
        cfg = apply_overrides(cfg, _caps(cfg, dry_run))
    if args.overrides:
        cfg = apply_overrides(cfg, args.overrides)
    return cfg


def _loss_tuned(cfg: Any, overrides: list[str]) -> Any:
    """Start the kinds whose loss an override sets from that loss's tuned defaults.

    ``--adversarial.loss=wgan-gp`` alone brings WGAN-GP's optimizer, betas and critic steps
    (``adversarial.<kind>.loss`` for one kind); a kind a --config file already changed is left
    as the file has it. The training engine is not a loss setting: it is neither compared nor
    replaced (a fused kind with a loss the fused engine does not cover trains with torch).
    """
    import dataclasses

    adv = getattr(cfg, "adversarial", None)
    if not getattr(adv, "PER_KIND", False):
        return cfg
    from qaug.train import default_adversarial_config

    kinds = [f.name for f in dataclasses.fields(adv)]
    fresh, changes = type(adv)(), {}
    for ov in overrides:
        key, _, value = ov.lstrip("-").partition("=")
        parts = key.strip().split(".")
        if parts[0] in ("adv", "adversarial") and parts[-1] == "loss" and len(parts) in (2, 3):
            for k in kinds if len(parts) == 2 else [p for p in parts[1:2] if p in kinds]:
                engine = getattr(adv, k).engine
                if dataclasses.replace(getattr(adv, k), engine="torch") == getattr(fresh, k):
                    tuned = default_adversarial_config(k, loss=value.strip().strip("'\""))
                    changes[k] = dataclasses.replace(tuned, engine=engine)
    return dataclasses.replace(cfg, adversarial=dataclasses.replace(adv, **changes))


def _caps(cfg: Any, dry_run) -> dict[str, Any]:
    """``dry_run`` as ``{key: value}``, numbers capped by the config's current value."""
    out = {}
    for item in dry_run:
        key, text = item.split("=", 1)
        value = json.loads(text)
        current = _get(cfg, key.split("."))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            current = current if isinstance(current, list) else [current]
            value = min([value, *[c for c in current if isinstance(c, (int, float))]])
        out[key] = value
    return out


def _get(cfg: Any, path: list[str]) -> Any:
    """The value at ``path``; a per-kind section without a kind gives every kind's value."""
    if not path:
        return cfg
    if not hasattr(cfg, path[0]) and getattr(cfg, "PER_KIND", False):
        import dataclasses

        return [_get(getattr(cfg, f.name), path) for f in dataclasses.fields(cfg)]
    return _get(getattr(cfg, path[0]), path[1:])


def print_config(cfg: Any, file=None) -> int:
    """Write ``cfg`` as JSON (what ``--config FILE.json`` reads back) to stdout; returns 0."""
    print(json.dumps(config_to_dict(cfg), indent=2), file=file or sys.stdout)
    return 0
