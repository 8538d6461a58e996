"""Controllers run inside the test process, over HTTP list+watch against a test server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from kubesvc.client.informer import InformerFactory


@contextlib.asynccontextmanager
async def running(factory: InformerFactory, *controllers: Any) -> AsyncIterator[None]:
    """Start `factory`'s informers and run `controllers` (built on them); on exit cancel the
    controllers, let their event recorders send what they hold, and stop the informers."""
    factory.start()
    tasks = [asyncio.create_task(c.run()) for c in controllers]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in controllers:
            recorder = getattr(c, "recorder", None)
            if recorder is not None:
                await recorder.drain()
        await factory.stop()
