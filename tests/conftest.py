"""Shared test settings: hypothesis profiles (CI runs more examples) and fixed seeds."""

import os
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Every test starts from the same random state (Python's and numpy's global generators)."""
    random.seed(1337)
    np.random.seed(1337)
