"""Fixtures shared by the component tests (a test module may define its own `client`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubesvc.client.rest import RestClient


@pytest.fixture
async def client(apiserver: Any) -> AsyncIterator[RestClient]:
    """A RestClient with the admin kubeconfig of the module's apiserver."""
    c = RestClient.from_kubeconfig(str(apiserver.kubeconfig))
    yield c
    await c.close()
