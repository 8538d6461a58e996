"""Label selectors: upstream's parse results and errors, rendering, matching, conversion from
metav1.LabelSelector, and hypothesis properties (parse . render round-trips; a selector matches
exactly the label sets its requirements describe)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api import labels as L
from kubesvc.api.labels import LabelSelectorError, Operator, Requirement, Selector


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        pytest.param("", "", id="empty"),
        pytest.param("x=a", "x=a", id="equals"),
        pytest.param("x==a", "x==a", id="double-equals"),
        pytest.param("x!=a", "x!=a", id="not-equals"),
        pytest.param("x", "x", id="exists"),
        pytest.param("!x", "!x", id="does-not-exist"),
        pytest.param("x in (b,a)", "x in (a,b)", id="in-values-sorted"),
        pytest.param("x notin (a)", "x notin (a)", id="notin"),
        pytest.param(
            "x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()", id="upstream-doc-example"
        ),
        pytest.param("z=1,a=2", "a=2,z=1", id="sorted-by-key"),
        pytest.param("  a = b  , c  ", "a=b,c", id="whitespace"),
        pytest.param("x>1,y<20", "x>1,y<20", id="gt-lt"),
        pytest.param("x=", "x=", id="empty-value"),
        pytest.param("x in (in,notin)", "x in (in,notin)", id="keywords-as-values"),
        pytest.param("in", "in", id="keyword-as-key"),
        pytest.param("example.com/app=web", "example.com/app=web", id="prefixed-key"),
    ],
)
def test_parse_and_render(text, rendered):
    assert str(L.parse(text)) == rendered


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a=b c", "found 'c', expected: ',' or 'end of string'", id="missing-comma"),
        pytest.param("!a=b", "found '=', expected: ',' or 'end of string'", id="not-with-value"),
        pytest.param("a,", "found '', expected: identifier after ','", id="trailing-comma"),
        pytest.param(",a", "found ',', expected: !, identifier, or 'end of string'", id="leading-comma"),
        pytest.param(
            "a in x", "unable to parse requirement: found 'x' expected: '('", id="in-without-parens"
        ),
        pytest.param("a in (b", "unable to parse requirement: found '', expected: ',' or ')'", id="unclosed"),
        pytest.param(
            "a=(b)", "unable to parse requirement: found '(', expected: identifier", id="paren-value"
        ),
        pytest.param(
            "a b",
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            id="no-operator",
        ),
        pytest.param(
            "a>x",
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value "
            "must be an integer",
            id="gt-not-integer",
        ),
        pytest.param(
            "-a=b",
            'unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
            "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            id="bad-key",
        ),
        pytest.param(
            "a=b$",
            'unable to parse requirement: values[0][a]: Invalid value: "b$": a valid label must be an empty '
            "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation "
            "is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            id="bad-value",
        ),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(LabelSelectorError) as exc:
        L.parse(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("text", "labels", "want"),
    [
        pytest.param("", {"a": "b"}, True, id="empty-matches-all"),
        pytest.param("a=b", {"a": "b"}, True, id="eq"),
        pytest.param("a=b", {}, False, id="eq-missing"),
        pytest.param("a!=b", {}, True, id="neq-missing-matches"),
        pytest.param("a notin (b)", {}, True, id="notin-missing-matches"),
        pytest.param("a notin (b)", {"a": "b"}, False, id="notin-present"),
        pytest.param("a in (b,c)", {"a": "c"}, True, id="in"),
        pytest.param("!a", {"a": ""}, False, id="dne"),
        pytest.param("a>5", {"a": "10"}, True, id="gt"),
        pytest.param("a>5", {"a": "x"}, False, id="gt-non-integer-label"),
        pytest.param("a<5", {"a": "-3"}, True, id="lt-negative"),
    ],
)
def test_matches(text, labels, want):
    assert L.parse(text).matches(labels) is want


def test_selector_from_set_and_nothing():
    assert L.selector_from_set({}).matches({"x": "y"})  # Everything, as labels.SelectorFromSet
    assert str(L.selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"
    assert not Selector.nothing().matches({})
    assert L.format_labels({}) == "<none>"
    assert L.format_labels({"b": "2", "a": "1"}) == "a=1,b=2"


def test_from_label_selector():
    assert L.from_label_selector(None).matches_nothing
    assert L.from_label_selector({}).empty()
    sel = L.from_label_selector(
        {
            "matchLabels": {"tier": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "canary", "operator": "DoesNotExist"},
            ],
        }
    )
    assert str(sel) == "!canary,env in (dev,prod),tier=web"
    assert sel.matches({"tier": "web", "env": "dev"})
    assert not sel.matches({"tier": "web", "env": "dev", "canary": "1"})
    with pytest.raises(LabelSelectorError, match='"Foo" is not a valid label selector operator'):
        L.from_label_selector({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
    with pytest.raises(LabelSelectorError, match="values set can't be empty"):
        L.from_label_selector({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
    assert L.to_label_selector(L.parse("a=b,c notin (x)")) == {
        "matchLabels": {"a": "b"},
        "matchExpressions": [{"key": "c", "operator": "NotIn", "values": ["x"]}],
    }


# --------------------------------------------------------------------------- properties

_ALNUM = "abcXYZ019"
_names = st.one_of(
    st.sampled_from(_ALNUM),
    st.builds(
        lambda a, mid, b: a + mid + b,
        st.sampled_from(_ALNUM),
        st.text(alphabet=_ALNUM + "-_.", max_size=6),
        st.sampled_from(_ALNUM),
    ),
)
_prefixes = st.builds(
    lambda a, b: f"{a}.{b}" if b else a,
    st.text(alphabet="abz09", min_size=1, max_size=5),
    st.text(alphabet="abz09", max_size=4),
)
_keys = st.one_of(_names, st.builds(lambda p, n: f"{p}/{n}", _prefixes, _names))
_values = st.one_of(st.just(""), _names)


@st.composite
def requirements(draw, keys=_keys, values=_values):
    op = draw(st.sampled_from(list(Operator)))
    key = draw(keys)
    if op in (Operator.IN, Operator.NOT_IN):
        vals = tuple(sorted(draw(st.sets(values, min_size=1, max_size=3))))
    elif op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS):
        vals = (draw(values),)
    elif op in (Operator.GREATER_THAN, Operator.LESS_THAN):
        vals = (str(draw(st.integers(0, 99))),)
    else:
        vals = ()
    return L.new_requirement(key, op, vals)


@settings(max_examples=300, deadline=None)
@given(st.lists(requirements(), max_size=5))
def test_parse_render_round_trip(reqs):
    sel = Selector.everything().add(*reqs)
    assert L.parse(str(sel)) == sel


def _holds(req: Requirement, labels: dict[str, str]) -> bool:
    """The meaning of one requirement, stated independently of the implementation."""
    present = req.key in labels
    value = labels.get(req.key)
    match req.operator:
        case Operator.EXISTS:
            return present
        case Operator.DOES_NOT_EXIST:
            return not present
        case Operator.EQUALS | Operator.DOUBLE_EQUALS | Operator.IN:
            return present and value in req.values
        case Operator.NOT_EQUALS | Operator.NOT_IN:
            return not present or value not in req.values
        case Operator.GREATER_THAN:
            return present and value.lstrip("-").isdigit() and int(value) > int(req.values[0])
        case Operator.LESS_THAN:
            return present and value.lstrip("-").isdigit() and int(value) < int(req.values[0])
    raise AssertionError(req)


_small_keys = st.sampled_from(["a", "b", "x.io/c"])
_small_values = st.sampled_from(["", "1", "7", "v", "w"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(requirements(_small_keys, _small_values), max_size=4),
    st.dictionaries(_small_keys, _small_values, max_size=3),
)
def test_selector_matches_exactly_what_its_requirements_say(reqs, labels):
    sel = L.parse(str(Selector.everything().add(*reqs)))
    assert sel.matches(labels) is all(_holds(r, labels) for r in reqs)


def test_requires_exact_match_and_validated_sets():
    sel = L.parse("app=web,tier in (db),x notin (y)")
    assert sel.requires_exact_match("app") == "web"
    assert sel.requires_exact_match("tier") == "db"
    assert sel.requires_exact_match("x") is None
    assert sel.requires_exact_match("missing") is None
    assert str(L.validated_selector_from_set({"k": "v"})) == "k=v"
    with pytest.raises(LabelSelectorError, match="values"):
        L.validated_selector_from_set({"k": "bad value"})
