"""The one place JSON is encoded and decoded (orjson), and YAML for apply bodies and manifests."""

from __future__ import annotations

import re
from typing import Any

import orjson
import yaml


class DecodeError(ValueError):
    """The bytes are not a JSON (or YAML) document."""


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


# What Go's encoding/json escapes in strings (HTML-safe by default; U+2028/U+2029 for JavaScript).
# None of these bytes can occur outside a string in JSON text, so replacing them in the whole
# output is exact.
_GO_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def dumps_go(obj: Any, *, pretty: bool = False) -> bytes:
    """JSON as kube-apiserver writes an answer: `json.Encoder.Encode` (compact, then a newline)
    or, pretty, `json.MarshalIndent(obj, "", "  ")` (no newline); `<`, `>`, `&`, U+2028 and
    U+2029 escaped in strings as Go does."""
    data = (
        orjson.dumps(obj, option=orjson.OPT_INDENT_2)
        if pretty
        else orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)
    )
    for raw, escaped in _GO_ESCAPES[:3]:
        if raw in data:
            data = data.replace(raw, escaped)
    if b"\xe2" in data:  # one byte finds fast; U+2028/U+2029 start with it (so do other chars)
        for raw, escaped in _GO_ESCAPES[3:]:
            if raw in data:
                data = data.replace(raw, escaped)
    return data


def dumps_str(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(str(exc)) from exc


# One JSON string, and the colon after it when it is an object key.  Matched left to right over a
# valid document, every match starts at a real string's opening quote (outside strings a JSON
# text has no other quotes), so the keys are counted exactly.
_STRING_OR_KEY = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?', re.DOTALL)
_QUOTE_SPACE_COLON = re.compile(rb'"\s+:')


def _entries(value: Any) -> int:
    """How many key/value entries the objects of a decoded document hold, all levels (no
    recursion: a document may nest deeper than Python's recursion limit)."""
    n = 0
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        if type(v) is dict:
            n += len(v)
            for x in v.values():
                if type(x) is dict or type(x) is list:
                    push(x)
        else:
            for x in v:
                if type(x) is dict or type(x) is list:
                    push(x)
    return n


def may_repeat_keys(data: bytes, doc: Any) -> bool:
    """False when no object of the JSON text `data` (already decoded to `doc` by `loads`)
    repeats a key.  orjson keeps the last of repeated keys silently; only a text this answers
    True for needs the slow pair-keeping decode that finds which ones.

    The keys of the text are counted (never fewer than there are) and compared with the entries
    of `doc`: equal only when every key is an entry of its own.  Without escapes and without
    space before a colon, a key is exactly a quote followed by a colon (a string starting with
    a colon is counted too: more, never fewer); else the strings are matched one by one.  An
    escaped key (`"\\u0061"`) may make it answer True without a repeat, never the reverse."""
    if not isinstance(doc, dict | list):
        return False
    if b"\\" not in data and _QUOTE_SPACE_COLON.search(data) is None:
        keys = data.count(b'":')
    else:
        matches = _STRING_OR_KEY.findall(data)
        keys = len(matches) - matches.count(b"")
    return keys != _entries(doc)


def loads_yaml(data: bytes | str) -> Any:
    """Decode YAML (a JSON document is valid YAML); the C loader when available."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(data, Loader=loader)
    except yaml.YAMLError as exc:
        raise DecodeError(str(exc)) from exc
