"""Small 2-D datasets (numpy, seeded, scikit-learn conventions: X of shape (n, 2), integer labels)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .checks import count, not_text_or_mapping, number

__all__ = ["make_moons", "make_blobs", "make_spirals", "make_yinyang", "batches"]

Seed = int | np.random.Generator | None


def _split(n_samples: int, k: int) -> list[int]:
    """n_samples split into k near-equal parts, the first ones one larger (scikit-learn's convention)."""
    return [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, shuffle: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle rows (if asked), add N(0, noise²) to X, and fix the dtypes: float64 X, int64 y."""
    if shuffle:
        perm = rng.permutation(len(y))
        X, y = X[perm], y[perm]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64)


def make_moons(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as scikit-learn's `make_moons`: upper moon label 0, lower moon 1.

    Returns `(X, y)` with X float64 of shape (n_samples, 2) and y int64 of shape (n_samples,);
    Gaussian noise of standard deviation `noise` is added to X.
    """
    n_samples = count("n_samples", n_samples)
    noise = number("noise", noise, 0.0, math.inf, hi_open=True)
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)]),
        ]
    )
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    return _finish(X, y, noise, shuffle, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | np.ndarray = 3,
    cluster_std: float = 1.0,
    seed: Seed = None,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs, as scikit-learn's `make_blobs` in 2-D: sample i of class c is
    cᵢ ~ N(center_c, cluster_std² I). `centers` is a count (centres drawn uniformly from `center_box`)
    or a (k, 2) array; samples are split evenly across the k classes, labels 0..k−1.
    """
    n_samples = count("n_samples", n_samples)
    rng = np.random.default_rng(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"centers must be >= 1, got {centers!r}")
        lo, hi = center_box
        if not lo < hi:
            raise ValueError(f"center_box must be (low, high) with low < high, got {center_box!r}")
        centers = rng.uniform(lo, hi, size=(int(centers), 2))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2 or len(centers) < 1:
        raise ValueError(f"centers must be an int or a (k, 2) array, got shape {centers.shape}")
    if not cluster_std >= 0:
        raise ValueError(f"cluster_std must be >= 0, got {cluster_std!r}")
    counts = _split(n_samples, len(centers))
    X = np.vstack([c + rng.normal(scale=cluster_std, size=(m, 2)) for c, m in zip(centers, counts)])
    y = np.repeat(np.arange(len(centers)), counts)
    return _finish(X, y, 0.0, shuffle, rng)


def make_spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.0,
    seed: Seed = None,
    shuffle: bool = True,
    turns: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms (the CS231n dataset), one arm per class.

    Arm c, point at fraction r ∈ [0, 1] along it: angle θ = 2π·(turns·r + c / n_classes),
    position r·(cos θ, sin θ); then N(0, noise²) added to each coordinate.
    """
    n_samples = count("n_samples", n_samples)
    noise = number("noise", noise, 0.0, math.inf, hi_open=True)
    n_classes = count("n_classes", n_classes, minimum=2)
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for c, m in enumerate(_split(n_samples, n_classes)):
        r = np.linspace(0.0, 1.0, m)
        theta = 2.0 * np.pi * (turns * r + c / n_classes)
        parts.append(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
        labels.append(np.full(m, c))
    return _finish(np.vstack(parts), np.concatenate(labels), noise, shuffle, rng)


def yinyang_class(X: np.ndarray, r_small: float = 0.2) -> np.ndarray:
    """The yin-yang label of points inside the unit disk: 0 yang, 1 yin, 2 the dots.

    Geometry of Kriener et al. (2021), scaled to radius 1: the dots are the disks of radius r_small
    around (±0.5, 0); yin is the right dot, the left half-disk's ring around the left dot within 0.5,
    and the upper half outside the right half-disk of radius 0.5.
    """
    x, y = X[:, 0], X[:, 1]
    d_right = np.hypot(x - 0.5, y)
    d_left = np.hypot(x + 0.5, y)
    yin = (d_right <= r_small) | ((d_left > r_small) & (d_left <= 0.5)) | ((y > 0) & (d_right > 0.5))
    dots = (d_right < r_small) | (d_left < r_small)
    return np.where(dots, 2, yin.astype(np.int64))


def make_yinyang(
    n_samples: int = 300, seed: Seed = None, shuffle: bool = True, r_small: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """The 3-class yin-yang dataset (Kriener et al., 2021) on the unit disk: labels 0 yang, 1 yin,
    2 the two dots, equally many of each; points uniform in each region (rejection sampling).
    """
    n_samples = count("n_samples", n_samples)
    if not 0 < r_small < 0.5:
        raise ValueError(f"r_small must lie in (0, 0.5), got {r_small!r}")
    rng = np.random.default_rng(seed)
    counts = _split(n_samples, 3)
    chosen: list[list[np.ndarray]] = [[], [], []]
    have = [0, 0, 0]
    while any(h < m for h, m in zip(have, counts)):
        P = rng.uniform(-1.0, 1.0, size=(4 * n_samples + 64, 2))
        P = P[np.hypot(P[:, 0], P[:, 1]) <= 1.0]
        labels = yinyang_class(P, r_small)
        for c in range(3):
            take = P[labels == c][: counts[c] - have[c]]
            chosen[c].append(take)
            have[c] += len(take)
    X = np.vstack([np.vstack(parts) for parts in chosen])
    y = np.repeat(np.arange(3), counts)
    return _finish(X, y, 0.0, shuffle, rng)


def batches(
    X: np.ndarray, y: np.ndarray, batch_size: int | None = None, shuffle: bool = True, seed: Seed = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of `(X_batch, y_batch)` pairs.

    batch_size None: the full batch (gradient descent); 1: one sample at a time (stochastic gradient
    descent); k: mini-batches of k, the last one shorter when k does not divide n. With `shuffle`, rows
    are visited in a random order drawn from `seed` (an int, a numpy Generator, or None).
    """
    X = np.asarray(not_text_or_mapping("X", X, "an array or a list of rows"))
    y = np.asarray(not_text_or_mapping("y", y, "an array or a list of targets"))
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y must hold one row / target per sample, got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} samples but {len(y)} labels")
    n = len(y)
    if batch_size is None:
        batch_size = max(n, 1)
    else:
        batch_size = count("batch_size (None or an int)", batch_size)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
