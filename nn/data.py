"""Small 2-D datasets (numpy, seeded, scikit-learn conventions: X of shape (n, 2), integer labels)."""

from __future__ import annotations

import numpy as np

__all__ = ["make_moons"]


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as scikit-learn's `make_moons`: upper moon label 0, lower moon 1.

    Returns `(X, y)` with X float64 of shape (n_samples, 2) and y int64 of shape (n_samples,);
    Gaussian noise of standard deviation `noise` is added to X.
    """
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)]),
    ])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y
