import pytest
import torch

from qaug._seed import make_generator
from qaug.models import build_classifier
from qaug.train import Callback, TensorBoardCallback, TrainConfig, train_classifier


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_step(self, info):
        self.calls.append(("step", info["epoch"], info["step"], info["loss"]))

    def on_eval(self, info):
        self.calls.append(("eval", info["epoch"], info["val_acc"]))

    def on_checkpoint(self, info):
        self.calls.append(("checkpoint", info["epoch"], info["val_acc"]))


def _data():
    g = make_generator(0, "x")
    x = torch.rand(20, 1, 4, 4, generator=g)
    y = torch.arange(20) % 2
    return x, y


def _fit(callbacks=None, epochs=3):
    x, y = _data()
    model = build_classifier("cnn", 2, 4, generator=make_generator(0, "init"))
    res = train_classifier(model, (x, y), (x, y), TrainConfig(epochs=epochs, batch_size=8, patience=0),
                           generator=make_generator(0, "shuffle"), callbacks=callbacks)
    return model, res


def test_classifier_loop_calls_every_hook_in_order():
    rec = Recorder()
    _, res = _fit([rec])
    steps = [c for c in rec.calls if c[0] == "step"]
    evals = [c for c in rec.calls if c[0] == "eval"]
    assert len(steps) == 3 * 3  # 20 images in batches of 8: 3 steps per epoch
    assert [s[2] for s in steps] == list(range(1, 10))
    assert [e[1] for e in evals] == [1, 2, 3]
    assert [e[2] for e in evals] == [h["val_acc"] for h in res.history]
    # a checkpoint call follows each eval that improved, and the last one is the best epoch
    checkpoints = [c for c in rec.calls if c[0] == "checkpoint"]
    assert checkpoints and checkpoints[-1][1] == res.best_epoch


def test_callbacks_do_not_change_training():
    m1, r1 = _fit()
    m2, r2 = _fit([Recorder()])
    assert r1.history == r2.history
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(a, b)


def test_a_raising_callback_stops_the_loop():
    class Stop(Callback):
        def on_eval(self, info):
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        _fit([Stop()])


@pytest.mark.parametrize("bad, match", [(Recorder(), "list of Callback"), ([object()], "none of the hooks")])
def test_bad_callbacks_are_refused(bad, match):
    with pytest.raises(TypeError, match=match):
        _fit(bad)


def test_tensorboard_callback_writes_event_files(tmp_path):
    pytest.importorskip("tensorboard")
    cb = TensorBoardCallback(tmp_path / "tb", prefix="cnn")
    _fit([cb])
    cb.close()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert "cnn/on_eval/val_acc" in tags and "cnn/on_step/loss" in tags
    assert len(acc.Scalars("cnn/on_eval/val_acc")) == 3
