"""The paper's customized strategy: error-driven allocation, confidence filter, rounds."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from qaug.augment._allocation import allocate_budget, class_thresholds, error_shares, split_budget
from qaug.augment._base import (
    RANDOM_STATE_CONSTRAINT,
    SAMPLING_STRATEGY_CONSTRAINT,
    BaseAugmenter,
    check_X_y,
)
from qaug.augment._classifier import is_fitted, mark_fitted, per_class_accuracy
from qaug.augment._generators import (
    GENERATOR_CONSTRAINTS,
    bank_kind,
    draw_seed,
    generate,
    obtain_generators,
)
from qaug.augment._validation import CallableOk, InstanceOf, Interval, LazyInstanceOf, NoneOk

__all__ = ["CustomizedAugmenter", "degradation_warnings"]

_log = logging.getLogger("qaug.augment")


class CustomizedAugmenter(BaseAugmenter):
    """Give generated samples to the classes the classifier gets wrong; keep confident ones.

    Per round r (of ``n_rounds``), with budget ``B_r`` (``budget`` split evenly over rounds):

    1. measure the classifier's per-class accuracy ``acc_c`` on the *validation* split
       (``fit_resample(X, y, X_val=..., y_val=...)``; never pass the test split);
    2. allocate ``B_r`` over the eligible classes (the keys of ``sampling_strategy_``) by error
       share with floor ``min_share`` and cap ``max_share``, largest-remainder rounding
       (:func:`~qaug.augment.allocate_budget`: ``w_c = e_c / sum e``, ``e_c = 1 - acc_c``,
       ``w'_c = s_min + (1 - K s_min) w_c``, capped at ``s_max``);
    3. per class, generate batches of ``batch_size`` and keep a sample of class c only if the
       classifier gives it ``p_c >= t_c = t_min + (t_max - t_min) acc_c``, until ``n_c`` are kept
       or ``ceil(max_attempts * n_c)`` were generated (the shortfall is reported, not filled);
    4. with ``n_rounds > 1``: retrain a fresh classifier (``classifier_factory``) on the grown
       set, re-measure on validation, and continue only while validation accuracy improves;
       the set of the best round (all samples up to it) is returned.

    Choices where the paper is silent (all parameters): error rates rather than raw error
    counts (equal on balanced validation splits); floor 5%, cap 80%; thresholds 0.2..0.8;
    10 attempts per wanted sample; the budget defaults to what ``sampling_strategy`` would add
    (so general and customized runs compare at equal totals).

    "Fitted" classifier: one with ``classifier_fitted_ = True`` (see :func:`mark_fitted`).
    Given an unfitted one (or None) and a ``classifier_factory``, the sampler trains one first
    with ``qaug.train.train_classifier`` on ``(X, y)``; with neither, it raises ValueError.

    Args:
        sampling_strategy: selects the eligible classes (its keys) and, when ``budget`` is None,
            the budget (the sum of its values); default 100 per class.
        budget: total new samples B over all rounds (int >= 1) or None.
        classifier: fitted ``nn.Module`` mapping ``(n, 1, H, W)`` to logits ``(n, k)``; labels
            must be class indices ``0..k-1``.
        classifier_factory: ``factory(generator) -> nn.Module`` building an untrained classifier
            (needed for ``n_rounds > 1`` or an unfitted ``classifier``).
        train_config: ``qaug.train.TrainConfig`` for (re)training (default ``TrainConfig()``).
        generators, generator_kind, gan_config, adv_config, progress: as in
            :class:`GenerativeAugmenter`.
        min_share, max_share: floor and cap of a class's share of a round's budget.
        threshold_min, threshold_max: ``t_min``, ``t_max`` in [0, 1].
        max_attempts: generated samples allowed per wanted sample (>= 1).
        batch_size: samples generated per batch.
        n_rounds: most allocate-filter-retrain rounds.
        random_state: int seed, CPU ``torch.Generator`` or None.

    Fitted attributes: those of :class:`BaseAugmenter`, plus ``rounds_`` (one dict per round
    run: budget, accuracies, error shares, allocation, thresholds, per-class generated /
    accepted / kept / rejected / shortfall, validation accuracy after retraining), ``report_``
    (per-class totals over the returned rounds), ``warnings_`` (when the strategy degrades:
    validation saturated, or a class left short; also logged to ``qaug.augment``),
    ``best_round_``, ``classifier_`` (the last
    classifier measured in the returned rounds), ``generators_``, ``params_`` (``draws``: every
    generated batch ``{"round", "label", "n", "seed", "latent", "kept"}``, ``kept`` being the
    indices of the batch that passed the filter and were used).
    """

    _parameter_constraints = {
        "sampling_strategy": SAMPLING_STRATEGY_CONSTRAINT,
        "budget": [NoneOk(), Interval(1, None, integer=True)],
        "classifier": [NoneOk(), InstanceOf(nn.Module, name="torch.nn.Module")],
        "classifier_factory": [NoneOk(), CallableOk()],
        "train_config": [NoneOk(), LazyInstanceOf("qaug.train", "TrainConfig")],
        **GENERATOR_CONSTRAINTS,
        "min_share": [Interval(0, 1)],
        "max_share": [Interval(0, 1, open_left=True)],
        "threshold_min": [Interval(0, 1)],
        "threshold_max": [Interval(0, 1)],
        "max_attempts": [Interval(1, 1000)],
        "batch_size": [Interval(1, None, integer=True)],
        "n_rounds": [Interval(1, 100, integer=True)],
        "random_state": RANDOM_STATE_CONSTRAINT,
    }

    # scikit-learn metadata routing: inside an imbalanced-learn Pipeline (with
    # sklearn.set_config(enable_metadata_routing=True)), fit(X, y, X_val=..., y_val=...)
    # reaches this sampler's fit_resample without a set_fit_resample_request call.
    __metadata_request__fit_resample = {"X_val": True, "y_val": True}  # noqa: RUF012

    def __init__(
        self, *, sampling_strategy: Any = 100, budget: int | None = None, classifier: Any = None,
        classifier_factory: Any = None, train_config: Any = None, generators: Any = None,
        generator_kind: str = "qgan", gan_config: Any = None, adv_config: Any = None,
        progress: bool = False, min_share: float = 0.05, max_share: float = 0.8,
        threshold_min: float = 0.2, threshold_max: float = 0.8, max_attempts: float = 10.0,
        batch_size: int = 64, n_rounds: int = 1, random_state: Any = None,
    ):
        self.sampling_strategy = sampling_strategy
        self.budget = budget
        self.classifier = classifier
        self.classifier_factory = classifier_factory
        self.train_config = train_config
        self.generators = generators
        self.generator_kind = generator_kind
        self.gan_config = gan_config
        self.adv_config = adv_config
        self.progress = progress
        self.min_share = min_share
        self.max_share = max_share
        self.threshold_min = threshold_min
        self.threshold_max = threshold_max
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.n_rounds = n_rounds
        self.random_state = random_state

    def _check_params(self, x, y):
        if self.threshold_min > self.threshold_max:
            raise ValueError(
                f"threshold_min={self.threshold_min} must not exceed threshold_max="
                f"{self.threshold_max}; weak classes get the lower threshold. Swap them."
            )
        if self.min_share > self.max_share:
            raise ValueError(
                f"min_share={self.min_share} must not exceed max_share={self.max_share}."
            )
        if self.n_rounds > 1 and self.classifier_factory is None:
            raise ValueError(
                f"n_rounds={self.n_rounds} retrains the classifier after each round and needs "
                f"classifier_factory=(generator -> nn.Module); pass one or use n_rounds=1."
            )
        if self.classifier is None and self.classifier_factory is None:
            raise ValueError(
                "CustomizedAugmenter needs a fitted classifier=... (see mark_fitted) or a "
                "classifier_factory=... to train one; got neither."
            )
        if self.classifier is not None and not is_fitted(self.classifier) and (
            self.classifier_factory is None
        ):
            raise ValueError(
                f"classifier {type(self.classifier).__name__} is not fitted (no "
                "classifier_fitted_=True flag); train it and call qaug.augment.mark_fitted(model), "
                "or pass classifier_factory=... and train_config=... so the sampler trains one."
            )

    def _train(self, x, y, xv, yv, generator) -> nn.Module:
        from qaug.train import TrainConfig, train_classifier

        init = torch.Generator(device="cpu")
        init.manual_seed(draw_seed(generator))
        model = self.classifier_factory(init)
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"classifier_factory must return an nn.Module; got {type(model).__name__}."
            )
        shuffle = torch.Generator(device="cpu")
        shuffle.manual_seed(draw_seed(generator))
        config = self.train_config if self.train_config is not None else TrainConfig()
        train_classifier(model, (x, torch.as_tensor(y)), (xv, torch.as_tensor(yv)), config,
                         generator=shuffle, progress=self.progress)
        return mark_fitted(model)

    def _fit_resample(self, x, y, generator, X_val=None, y_val=None, **fit_params):
        if fit_params:
            raise TypeError(f"CustomizedAugmenter.fit_resample takes no {sorted(fit_params)}.")
        if X_val is None or y_val is None:
            raise ValueError(
                "CustomizedAugmenter measures per-class errors on a validation split: call "
                "fit_resample(X, y, X_val=..., y_val=...) with the validation split (never the "
                "test split)."
            )
        xv, yv = check_X_y(X_val, y_val, "X_val")
        if xv.shape[1:] != x.shape[1:]:
            raise ValueError(
                f"X_val images {tuple(xv.shape[1:])} differ from X images {tuple(x.shape[1:])}."
            )
        eligible = sorted(self.sampling_strategy_)
        missing = sorted(set(eligible) - set(np.unique(yv).tolist()))
        if missing:
            raise ValueError(f"y_val has no samples of class(es) {missing}; the validation split "
                             "needs every class to measure its error.")
        budget = self.budget if self.budget is not None else sum(self.sampling_strategy_.values())
        if budget < 1:
            raise ValueError(
                f"the budget is zero (sampling_strategy={self.sampling_strategy!r} adds nothing "
                f"here: {self.sampling_strategy_}); pass budget=N >= 1 or an int sampling_strategy."
            )
        clf = self.classifier
        if clf is None or not is_fitted(clf):
            clf = self._train(x, y, xv, yv, generator)
        from qaug.train import predict_proba

        k = predict_proba(clf, x[:1]).shape[1]
        if max(eligible) >= k or min(eligible) < 0:
            raise ValueError(
                f"the classifier has {k} outputs but y holds classes {eligible}; labels must be "
                f"class indices 0..{k - 1} (map original ids with DatasetSplits.classes)."
            )
        size = int(x.shape[-1])
        self.generators_ = obtain_generators(self, x, y, eligible, generator)
        source = bank_kind(self.generators_, self.generator_kind)
        self.rounds_, draws = [], []
        parts_x, parts_y = [], []
        acc, per_class = per_class_accuracy(clf, xv, yv, eligible)
        best, best_acc, best_clf, best_len = 0, -1.0, clf, 0
        for r, b in enumerate(split_budget(budget, self.n_rounds)):
            info = self._round(r, b, clf, acc, per_class, generator, size, draws, parts_x, parts_y)
            self.rounds_.append(info)
            if self.n_rounds == 1:
                best_len = len(parts_x)
                break
            x_cur = torch.cat([x] + [p.to(x.device) for p in parts_x])
            y_cur = np.concatenate([y] + parts_y)
            clf = self._train(x_cur, y_cur, xv, yv, generator)
            acc, per_class = per_class_accuracy(clf, xv, yv, eligible)
            info["val_accuracy_after"], info["per_class_accuracy_after"] = acc, per_class
            if acc > best_acc:
                best, best_acc, best_clf, best_len = r, acc, clf, len(parts_x)
            else:
                break  # no validation gain: keep the best round's set
        self.best_round_ = best
        self.classifier_ = best_clf
        self.report_ = _totals(self.rounds_[: best + 1])
        self.warnings_ = degradation_warnings(self.rounds_[: best + 1], self.report_)
        for msg in self.warnings_:
            _log.warning(msg)
        self.params_ = {"draws": draws}
        keep_x, keep_y = parts_x[:best_len], parts_y[:best_len]
        if not keep_x:
            return torch.zeros(0, 1, size, size), np.zeros(0, np.int64), [], np.zeros(0, np.int64)
        y_new = np.concatenate(keep_y)
        return torch.cat(keep_x), y_new, [source] * len(y_new), np.full(len(y_new), -1, np.int64)

    def _round(self, r, budget, clf, acc, per_class, generator, size, draws, parts_x, parts_y):
        """Allocate ``budget``, then generate and filter per class; appends kept samples."""
        from qaug.train import predict_proba

        alloc = allocate_budget(budget, per_class, self.min_share, self.max_share)
        thr = class_thresholds(per_class, self.threshold_min, self.threshold_max)
        stats = {}
        for c, want in alloc.items():
            limit = math.ceil(self.max_attempts * want)
            made = accepted = kept = 0
            while kept < want and made < limit:
                n = min(self.batch_size, limit - made)
                seed = draw_seed(generator)
                imgs, z = generate(self.generators_, c, n, seed, size)
                ok = np.flatnonzero(predict_proba(clf, imgs)[:, c].numpy() >= thr[c])
                take = ok[: want - kept]
                draws.append({"round": r, "label": int(c), "n": n, "seed": seed, "latent": z,
                              "kept": take.tolist()})
                parts_x.append(imgs[torch.as_tensor(take, dtype=torch.long)])
                parts_y.append(np.full(len(take), c, np.int64))
                made, accepted, kept = made + n, accepted + len(ok), kept + len(take)
            stats[c] = {"allocated": want, "generated": made, "accepted": accepted, "kept": kept,
                        "rejected": made - accepted, "shortfall": want - kept,
                        "acceptance_rate": accepted / made if made else None, "threshold": thr[c]}
        return {"round": r, "budget": budget, "val_accuracy": acc, "per_class_accuracy": per_class,
                "error_share": error_shares(per_class), "allocation": alloc, "thresholds": thr,
                "classes": stats}


def degradation_warnings(rounds: list[dict], report: dict[int, dict]) -> list[str]:
    """Why the customized strategy fell back to something simpler, in words.

    Two cases: the classifier scores 1.0 on every validation class (the error shares carry no
    information, so the allocation is the even floor-and-cap split and every threshold is
    ``t_max``), and the confidence filter leaves a class short of its allocation.
    """
    out = []
    for info in rounds:
        if info["per_class_accuracy"] and all(a >= 1.0 for a in info["per_class_accuracy"].values()):
            out.append(
                f"round {info['round']}: validation accuracy is 1.0 for every class, so the "
                "per-class errors carry no information and the budget is split evenly; use a "
                "larger validation split (e.g. 50 images per class).")
    for c, tot in sorted(report.items()):
        if tot["shortfall"] > 0:
            rate = tot["acceptance_rate"]
            out.append(
                f"class index {c}: {tot['kept']} of {tot['allocated']} allocated samples kept "
                f"(acceptance {'–' if rate is None else f'{100 * rate:.0f}%'} at threshold "
                f"{tot['threshold']:.2f}); raise max_attempts or lower threshold_min/"
                "threshold_max, or train the generator longer.")
    return out


def _totals(rounds: list[dict]) -> dict[int, dict]:
    """Per-class sums of allocated/generated/accepted/kept/rejected/shortfall over ``rounds``."""
    keys = ("allocated", "generated", "accepted", "kept", "rejected", "shortfall")
    out: dict[int, dict] = {}
    for info in rounds:
        for c, s in info["classes"].items():
            tot = out.setdefault(c, dict.fromkeys(keys, 0))
            for k in keys:
                tot[k] += s[k]
            tot["threshold"] = s["threshold"]
    for tot in out.values():
        tot["acceptance_rate"] = tot["accepted"] / tot["generated"] if tot["generated"] else None
        tot["share_of_kept"] = 0.0
    total_kept = sum(t["kept"] for t in out.values())
    for tot in out.values():
        tot["share_of_kept"] = tot["kept"] / total_kept if total_kept else 0.0
    return out
