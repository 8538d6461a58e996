"""The watch stream's line splitter: the same lines whatever the chunking, in linear time."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.client.rest import LineSplitter


def _split_all(stream: bytes, cuts: list[int]) -> list[bytes]:
    splitter = LineSplitter()
    out: list[bytes] = []
    last = 0
    for cut in [*sorted(cuts), len(stream)]:
        out.extend(splitter.feed(stream[last:cut]))
        last = cut
    rest = splitter.end()
    if rest is not None:
        out.append(rest)
    return out


@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"x")), max_size=12),
    trailing_newline=st.booleans(),
    data=st.data(),
)
def test_lines_do_not_depend_on_chunk_boundaries(
    lines: list[bytes], trailing_newline: bool, data: st.DataObject
) -> None:
    stream = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    expected = [line for line in stream.split(b"\n") if line.strip()]
    assert _split_all(stream, cuts) == expected


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        pytest.param([b'{"a":1}\n{"b":2}\n'], [b'{"a":1}', b'{"b":2}'], id="two-lines-one-chunk"),
        pytest.param([b'{"a"', b":1}", b"\n"], [b'{"a":1}'], id="line-over-three-chunks"),
        pytest.param([b"\n\n  \n", b'{"a":1}'], [b'{"a":1}'], id="blank-lines-and-no-final-newline"),
        pytest.param([b""], [], id="empty-chunk"),
    ],
)
def test_examples(chunks: list[bytes], expected: list[bytes]) -> None:
    splitter = LineSplitter()
    out = [line for chunk in chunks for line in splitter.feed(chunk)]
    rest = splitter.end()
    assert out + ([rest] if rest is not None else []) == expected


def test_a_large_backlog_in_one_chunk_is_split_in_linear_time() -> None:
    # 8,000 events of 1 KiB in one 8 MiB chunk: cutting the rest of the buffer off after every
    # line (the old decoder) copies ~32 GB and takes seconds; one split copies 8 MiB.
    line = b'{"type":"ADDED","object":{"x":"' + b"a" * 1000 + b'"}}\n'
    splitter = LineSplitter()
    start = time.process_time()
    assert len(splitter.feed(line * 8000)) == 8000
    assert time.process_time() - start < 1.0
