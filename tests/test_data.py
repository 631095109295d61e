"""nn.data: dataset shapes, labels, seeding and geometry; batches."""

import numpy as np
import pytest

from nn import batches, make_blobs, make_moons, make_spirals, make_yinyang
from nn.data import yinyang_class

MAKERS = [make_moons, make_blobs, make_spirals, make_yinyang]


@pytest.mark.parametrize("make", MAKERS)
def test_shapes_dtypes_and_seeding(make):
    X, y = make(101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    X2, y2 = make(101, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(101, seed=4)[0], X)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # classes balanced


@pytest.mark.parametrize("make", MAKERS)
def test_bad_n_samples(make):
    with pytest.raises(ValueError, match="n_samples"):
        make(0)
    with pytest.raises(ValueError, match="n_samples"):
        make(2.5)


def test_moons_match_scikit_learn_without_noise():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = make_moons(51, shuffle=False)
    Xs, ys = datasets.make_moons(51, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-15)
    np.testing.assert_array_equal(y, ys)


def test_blobs_cluster_around_their_centres():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X, y = make_blobs(3000, centers=centers, cluster_std=0.5, seed=0)
    for c in range(3):
        assert X[y == c].mean(axis=0) == pytest.approx(centers[c], abs=0.05)
        assert X[y == c].std(axis=0) == pytest.approx([0.5, 0.5], rel=0.08)
    with pytest.raises(ValueError, match="centers"):
        make_blobs(10, centers=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(10, cluster_std=-1.0)


def test_spirals_geometry():
    X, y = make_spirals(300, n_classes=3, shuffle=False)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() == pytest.approx(1.0) and r.min() == 0.0
    # the arms are rotated copies: arm 1 is arm 0 turned by 2π/3
    a = 2 * np.pi / 3
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    np.testing.assert_allclose(X[y == 0] @ rot.T, X[y == 1], atol=1e-12)
    with pytest.raises(ValueError, match="n_classes"):
        make_spirals(10, n_classes=1)
    with pytest.raises(ValueError, match="noise"):
        make_spirals(10, noise=-0.1)


def test_yinyang_points_lie_in_the_disk_with_their_region_label():
    X, y = make_yinyang(600, seed=1)
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0
    np.testing.assert_array_equal(yinyang_class(X), y)
    assert np.bincount(y).tolist() == [200, 200, 200]


def test_yinyang_class_landmarks():
    pts = np.array([[0.5, 0.0], [-0.5, 0.0], [0.0, 0.9], [0.0, -0.9], [-0.5, 0.35], [0.5, -0.35]])
    # the dots; top is yin (1), bottom yang (0); ring round the left dot is yin, round the right dot yang
    assert yinyang_class(pts).tolist() == [2, 2, 1, 0, 1, 0]


def test_batches_full_stochastic_and_mini():
    X = np.arange(10.0).reshape(5, 2)
    y = np.arange(5)
    full = list(batches(X, y))
    assert len(full) == 1 and sorted(full[0][1].tolist()) == list(range(5))
    assert [len(b) for _, b in batches(X, y, 1)] == [1] * 5
    mini = list(batches(X, y, 2, seed=0))
    assert [len(b) for _, b in mini] == [2, 2, 1]  # the last short batch is kept
    seen = np.concatenate([b for _, b in mini])
    assert sorted(seen.tolist()) == list(range(5))
    for Xb, yb in mini:
        np.testing.assert_array_equal(Xb, X[yb])  # rows stay paired with their labels
    assert [b.tolist() for _, b in batches(X, y, 2, shuffle=False)] == [[0, 1], [2, 3], [4]]
    again = [b.tolist() for _, b in batches(X, y, 2, seed=0)]
    assert again == [b.tolist() for _, b in mini]


def test_batches_bad_input():
    with pytest.raises(ValueError, match="5 samples but 4 labels"):
        list(batches(np.zeros((5, 2)), np.zeros(4)))
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            list(batches(np.zeros((5, 2)), np.zeros(5), bad))


def test_batches_refuse_dicts_sets_and_scalars():
    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(TypeError, match="X must be an array or a list of rows, got a dict"):
        list(batches({i: row for i, row in enumerate(X)}, y))
    with pytest.raises(TypeError, match="y must be an array or a list of targets, got a set"):
        list(batches(X, {0.0, 1.0}))
    with pytest.raises(ValueError, match=r"shapes \(4, 2\) and \(\)"):
        list(batches(X, 1.0))
