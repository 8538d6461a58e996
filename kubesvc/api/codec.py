"""The one place JSON is encoded and decoded (orjson), and YAML for apply bodies and manifests."""

from __future__ import annotations

from typing import Any

import orjson
import yaml


class DecodeError(ValueError):
    """The bytes are not a JSON (or YAML) document."""


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def dumps_str(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(str(exc)) from exc


def loads_yaml(data: bytes | str) -> Any:
    """Decode YAML (a JSON document is valid YAML); the C loader when available."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(data, Loader=loader)
    except yaml.YAMLError as exc:
        raise DecodeError(str(exc)) from exc
