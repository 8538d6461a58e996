"""codec.may_repeat_keys: the cheap check that spares the apiserver a second, pair-keeping JSON
decode of every body.  It may answer True without a repeated key (then the slow decode finds
none), but never False for a text that repeats one: that would lose upstream's duplicate-field
warnings and strict errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api import codec


def _repeats(text: bytes) -> bool:
    """The reference: some object of the text names a key twice (decoded keys compared)."""
    found = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        found = found or len({k for k, _ in pairs}) != len(pairs)
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return found


@pytest.mark.parametrize(
    ("text", "repeats"),
    [
        (b'{"a":1,"b":{"c":[{"d":2},{"d":3}]}}', False),
        (b'{"a":1,"a":2}', True),
        (b'{"a":{"b":1,"b":2}}', True),
        (b'[{"a":1},{"a":1}]', False),
        (b'[{"a":1,"a":1}]', True),
        # a value that looks like a key, with and without escapes
        (b'{"a":":x","b":"y\\":","c":1}', False),
        (b'{"a":":x","a":1}', True),
        (b'{"a":"x\\":","a":1}', True),
        # space around the colon, as json.dumps writes it
        (b'{"a" : 1, "b": {"c" :2}}', False),
        (b'{"a" :1, "b":1, "b":2}', True),
        (b'{\n  "spec": {\n    "x": 1,\n    "x": 2\n  }\n}', True),
        # the same key spelled with an escape is a repeat
        (b'{"\\u0061":1,"a":2}', True),
        (b'{"a\\\\":1,"a\\\\\\"":2}', False),
        (b"{}", False),
    ],
)
def test_known_texts(text: bytes, repeats: bool) -> None:
    assert _repeats(text) is repeats
    if repeats:
        assert codec.may_repeat_keys(text, codec.loads(text))
    else:
        assert not codec.may_repeat_keys(text, codec.loads(text))


_keys = st.sampled_from(["a", "b", "a:", ":", '"', "\\", "a\\", " :", "é", "\u2028"])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), _keys)


def _render(node: Any, sep: str) -> str:
    """JSON text of a node whose objects are lists of (key, value) pairs, repeats allowed."""
    if isinstance(node, tuple):
        return "{" + ",".join(json.dumps(k) + sep + _render(v, sep) for k, v in node) + "}"
    if isinstance(node, list):
        return "[" + ",".join(_render(v, sep) for v in node) + "]"
    return json.dumps(node)


_nodes = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(st.tuples(_keys, inner), max_size=4).map(tuple),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    pairs=st.lists(st.tuples(_keys, _nodes), max_size=5).map(tuple),
    sep=st.sampled_from([":", " : ", ": ", "\n:"]),
)
def test_never_misses_a_repeat(pairs: tuple[tuple[str, Any], ...], sep: str) -> None:
    text = _render(pairs, sep).encode()
    if _repeats(text):
        assert codec.may_repeat_keys(text, codec.loads(text))
