"""Fixtures of the kernel's fault tests: private PostgreSQL clusters to crash at will."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import _unavailable
from tests.private_postgres import ClusterUnavailable, PrivateCluster, clusters


@pytest.fixture
def private_postgres(request: pytest.FixtureRequest) -> Iterator[Callable[..., PrivateCluster]]:
    """A maker of started throwaway PostgreSQL clusters (never the shared one on 5432), all
    removed after the test; unavailable binaries fail the test."""
    try:
        with clusters() as make:
            yield make
    except ClusterUnavailable as error:
        _unavailable(request.config, f"private PostgreSQL: {error}")
