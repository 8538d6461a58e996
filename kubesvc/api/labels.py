"""Label selectors: the string grammar, matching, and metav1.LabelSelector conversion.

The behaviour is that of apimachinery's `pkg/labels` (selector.go, labels.go):

    <selector>    ::= <requirement> | <requirement> "," <selector>
    <requirement> ::= ["!"] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]

Parsing sorts requirements by key (stably here; upstream's sort is unstable for equal keys),
and rendering prints values of set-based requirements sorted, so `str(parse(s))` is the
canonical form kube-apiserver and kubectl print.  Parse errors carry upstream's messages
word for word (`unable to parse requirement: <nil>: Invalid value: ...`); the apiserver
answers them with a 400 BadRequest.

Service semantics: `selector_from_set({})` matches everything, as `labels.SelectorFromSet`
does; callers that must select nothing for a selector-less Service (the EndpointSlice
controller) skip such Services before asking.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubesvc.api.fields import FieldError, aggregate_message, invalid, not_supported
from kubesvc.api.validation.names import is_qualified_name, is_valid_label_value


class Operator(enum.Enum):
    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    IN = "in"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    EXISTS = "exists"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_BINARY_OPERATORS: Final = ("in", "notin", "=", "==", "!=", "gt", "lt")
_VALID_OPERATORS: Final = (*_BINARY_OPERATORS, "exists", "!")

# The path upstream's parser reports errors under: a nil field.Path prints as "<nil>".
_NIL_PATH: Final = "<nil>"


class LabelSelectorError(ValueError):
    """A selector that cannot be parsed or built; `str()` is upstream's message."""


_INT64_RE = re.compile(r"[+-]?[0-9]+")


def _parse_int64(s: str) -> int | None:
    if _INT64_RE.fullmatch(s) is None:
        return None
    n = int(s)
    if not -(2**63) <= n < 2**63:
        return None
    return n


@dataclass(frozen=True)
class Requirement:
    """One term of a selector. Build it with `new_requirement` to get upstream's checks."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        if op is Operator.EXISTS:
            return self.key in labels
        if op is Operator.DOES_NOT_EXIST:
            return self.key not in labels
        if op in (Operator.GREATER_THAN, Operator.LESS_THAN):
            if self.key not in labels or len(self.values) != 1:
                return False
            have = _parse_int64(labels[self.key])
            want = _parse_int64(self.values[0])
            if have is None or want is None:
                return False
            return have > want if op is Operator.GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        symbol = {
            Operator.EQUALS: "=",
            Operator.DOUBLE_EQUALS: "==",
            Operator.NOT_EQUALS: "!=",
            Operator.IN: " in ",
            Operator.NOT_IN: " notin ",
            Operator.GREATER_THAN: ">",
            Operator.LESS_THAN: "<",
        }[op]
        values = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (Operator.IN, Operator.NOT_IN):
            values = f"({values})"
        return f"{self.key}{symbol}{values}"


def _key_error(key: str, fld: str) -> FieldError | None:
    errs = is_qualified_name(key)
    return invalid(fld, key, "; ".join(errs)) if errs else None


def _child(parent: str | None, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def new_requirement(
    key: str, operator: Operator | str, values: Iterable[str] = (), *, path: str | None = None
) -> Requirement:
    """Build a requirement with upstream's `NewRequirement` checks; raise LabelSelectorError."""
    vals = tuple(values)
    errs: list[FieldError] = []
    err = _key_error(key, _child(path, "key"))
    if err:
        errs.append(err)
    values_path = _child(path, "values")
    op: Operator | None
    try:
        op = operator if isinstance(operator, Operator) else Operator(operator)
    except ValueError:
        op = None
    if op in (Operator.IN, Operator.NOT_IN):
        if not vals:
            errs.append(
                invalid(values_path, list(vals), "for 'in', 'notin' operators, values set can't be empty")
            )
    elif op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS):
        if len(vals) != 1:
            errs.append(
                invalid(values_path, list(vals), "exact-match compatibility requires one single value")
            )
    elif op in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
        if vals:
            errs.append(
                invalid(values_path, list(vals), "values set must be empty for exists and does not exist")
            )
    elif op in (Operator.GREATER_THAN, Operator.LESS_THAN):
        if len(vals) != 1:
            errs.append(
                invalid(values_path, list(vals), "for 'Gt', 'Lt' operators, exactly one value is required")
            )
        for i, v in enumerate(vals):
            if _parse_int64(v) is None:
                errs.append(
                    invalid(
                        f"{values_path}[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer"
                    )
                )
    else:
        shown = operator.value if isinstance(operator, Operator) else operator
        errs.append(not_supported(_child(path, "operator"), shown, _VALID_OPERATORS))
    for i, v in enumerate(vals):
        msgs = is_valid_label_value(v)
        if msgs:
            errs.append(invalid(f"{values_path}[{i}][{key}]", v, "; ".join(msgs)))
    if errs:
        raise LabelSelectorError(aggregate_message(errs))
    assert op is not None
    return Requirement(key, op, vals)


@dataclass(frozen=True)
class Selector:
    """An AND of requirements, sorted by key; `Selector.nothing()` matches no label set."""

    requirements: tuple[Requirement, ...] = ()
    _nothing: bool = field(default=False, repr=False)

    @staticmethod
    def everything() -> Selector:
        return Selector(())

    @staticmethod
    def nothing() -> Selector:
        return Selector((), True)

    @property
    def matches_nothing(self) -> bool:
        return self._nothing

    def empty(self) -> bool:
        """True when the selector does not restrict anything (Everything)."""
        return not self._nothing and not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self._nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def add(self, *reqs: Requirement) -> Selector:
        if self._nothing:
            return self
        return Selector(tuple(sorted((*self.requirements, *reqs), key=lambda r: r.key)))

    def requires_exact_match(self, key: str) -> str | None:
        """The single value the selector demands for `key`, if it demands exactly one."""
        for r in self.requirements:
            if r.key == key:
                ok = r.operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN)
                return r.values[0] if ok and len(r.values) == 1 else None
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


# ---------------------------------------------------------------------------------------------
# lexer and parser


class _Tok(enum.Enum):
    ERROR = 0
    END = 1
    CLOSE_PAR = 2
    COMMA = 3
    NOT = 4
    DOUBLE_EQUALS = 5
    EQUALS = 6
    GREATER = 7
    IDENT = 8
    IN = 9
    LESS = 10
    NOT_EQUALS = 11
    NOT_IN = 12
    OPEN_PAR = 13


_LITERALS: Final = {
    ")": _Tok.CLOSE_PAR,
    ",": _Tok.COMMA,
    "!": _Tok.NOT,
    "==": _Tok.DOUBLE_EQUALS,
    "=": _Tok.EQUALS,
    ">": _Tok.GREATER,
    "in": _Tok.IN,
    "<": _Tok.LESS,
    "!=": _Tok.NOT_EQUALS,
    "notin": _Tok.NOT_IN,
    "(": _Tok.OPEN_PAR,
}
_SPECIAL: Final = frozenset("=!(),><")
_WHITESPACE: Final = frozenset(" \t\r\n")


def _lex(s: str) -> list[tuple[_Tok, str]]:
    # upstream reads bytes and treats a NUL byte as the end of input
    s = s.split("\x00", 1)[0]
    items: list[tuple[_Tok, str]] = []
    pos, n = 0, len(s)
    while True:
        while pos < n and s[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            items.append((_Tok.END, ""))
            return items
        if s[pos] in _SPECIAL:
            # the longest run of special characters that is still a known operator
            tok, lit = _Tok.ERROR, ""
            end = pos
            while end < n and s[end] in _SPECIAL:
                candidate = s[pos : end + 1]
                if candidate in _LITERALS:
                    tok, lit = _LITERALS[candidate], candidate
                    end += 1
                elif tok is not _Tok.ERROR:
                    break
                else:
                    end += 1
            if tok is _Tok.ERROR:
                lit = f"error expected: keyword found '{s[pos:end]}'"
            pos = end
            items.append((tok, lit))
        else:
            start = pos
            while pos < n and s[pos] not in _SPECIAL and s[pos] not in _WHITESPACE:
                pos += 1
            word = s[start:pos]
            items.append((_LITERALS.get(word, _Tok.IDENT), word))


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def _view(self, i: int, values: bool) -> tuple[_Tok, str]:
        tok, lit = self.items[i]
        # in a value position the keywords `in` and `notin` are plain identifiers
        if values and tok in (_Tok.IN, _Tok.NOT_IN):
            tok = _Tok.IDENT
        return tok, lit

    def lookahead(self, values: bool = True) -> tuple[_Tok, str]:
        return self._view(self.pos, values)

    def consume(self, values: bool = True) -> tuple[_Tok, str]:
        self.pos += 1
        return self._view(self.pos - 1, values)

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_Tok.IDENT, _Tok.NOT):
                try:
                    reqs.append(self.requirement())
                except LabelSelectorError as exc:
                    raise LabelSelectorError(f"unable to parse requirement: {exc}") from None
                t, lit2 = self.consume()
                if t is _Tok.END:
                    return reqs
                if t is _Tok.COMMA:
                    t2, lit3 = self.lookahead()
                    if t2 not in (_Tok.IDENT, _Tok.NOT):
                        raise LabelSelectorError(f"found '{lit3}', expected: identifier after ','")
                else:
                    raise LabelSelectorError(f"found '{lit2}', expected: ',' or 'end of string'")
            elif tok is _Tok.END:
                return reqs
            else:
                raise LabelSelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        key, op = self.key_and_inferred_operator()
        if op in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
            return new_requirement(key, op, ())
        op = self.operator()
        if op in (Operator.IN, Operator.NOT_IN):
            values = self.value_set()
        else:
            values = self.exact_value()
        return new_requirement(key, op, sorted(values))

    def key_and_inferred_operator(self) -> tuple[str, Operator | None]:
        op: Operator | None = None
        tok, lit = self.consume()
        if tok is _Tok.NOT:
            op = Operator.DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok is not _Tok.IDENT:
            raise LabelSelectorError(f"found '{lit}', expected: identifier")
        err = _key_error(lit, _NIL_PATH)
        if err:
            raise LabelSelectorError(str(err))
        t, _ = self.lookahead()
        if t in (_Tok.END, _Tok.COMMA) and op is None:
            op = Operator.EXISTS
        return lit, op

    def operator(self) -> Operator:
        tok, lit = self.consume(values=False)
        ops = {
            _Tok.IN: Operator.IN,
            _Tok.EQUALS: Operator.EQUALS,
            _Tok.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
            _Tok.GREATER: Operator.GREATER_THAN,
            _Tok.LESS: Operator.LESS_THAN,
            _Tok.NOT_IN: Operator.NOT_IN,
            _Tok.NOT_EQUALS: Operator.NOT_EQUALS,
        }
        if tok not in ops:
            raise LabelSelectorError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return ops[tok]

    def value_set(self) -> set[str]:
        tok, lit = self.consume()
        if tok is not _Tok.OPEN_PAR:
            raise LabelSelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_Tok.IDENT, _Tok.COMMA):
            values = self.identifiers()
            tok2, _ = self.consume()
            if tok2 is not _Tok.CLOSE_PAR:
                raise LabelSelectorError(f"found '{lit}', expected: ')'")
            return values
        if tok is _Tok.CLOSE_PAR:
            self.consume()
            return {""}
        raise LabelSelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok is _Tok.IDENT:
                values.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 is _Tok.COMMA:
                    continue
                if tok2 is _Tok.CLOSE_PAR:
                    return values
                raise LabelSelectorError(f"found '{lit2}', expected: ',' or ')'")
            if tok is _Tok.COMMA:
                if not values:
                    values.add("")  # "(," holds an empty value
                tok2, _ = self.lookahead()
                if tok2 is _Tok.CLOSE_PAR:
                    values.add("")  # ",)"
                    return values
                if tok2 is _Tok.COMMA:
                    values.add("")  # ",,"
                continue
            raise LabelSelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok in (_Tok.END, _Tok.COMMA):
            return {""}
        tok, lit = self.consume()
        if tok is _Tok.IDENT:
            return {lit}
        raise LabelSelectorError(f"found '{lit}', expected: identifier")


def parse(selector: str) -> Selector:
    """Parse the string form (`a=b,c!=d,e in (x,y),!f`); raise LabelSelectorError."""
    reqs = _Parser(selector).parse()
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))


# ---------------------------------------------------------------------------------------------
# sets and metav1.LabelSelector


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """Matches exactly the label sets holding all of `labels`; empty or None matches everything."""
    if not labels:
        return Selector.everything()
    reqs = (Requirement(k, Operator.EQUALS, (v,)) for k, v in labels.items())
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))


def validated_selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    if not labels:
        return Selector.everything()
    reqs = [new_requirement(k, Operator.EQUALS, (v,)) for k, v in labels.items()]
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))


_LABEL_SELECTOR_OPS: Final = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def from_label_selector(selector: Mapping[str, Any] | None) -> Selector:
    """metav1.LabelSelectorAsSelector: None selects nothing, `{}` selects everything."""
    if selector is None:
        return Selector.nothing()
    match_labels: Mapping[str, str] = selector.get("matchLabels") or {}
    exprs: Sequence[Mapping[str, Any]] = selector.get("matchExpressions") or []
    if not match_labels and not exprs:
        return Selector.everything()
    reqs = [new_requirement(k, Operator.EQUALS, (v,)) for k, v in match_labels.items()]
    for expr in exprs:
        op_name = expr.get("operator", "")
        if op_name not in _LABEL_SELECTOR_OPS:
            raise LabelSelectorError(f'"{op_name}" is not a valid label selector operator')
        reqs.append(
            new_requirement(expr.get("key", ""), _LABEL_SELECTOR_OPS[op_name], expr.get("values") or ())
        )
    return Selector.everything().add(*reqs)


def to_label_selector(selector: Selector) -> dict[str, Any]:
    """The metav1.LabelSelector of a string selector (ParseToLabelSelector), where representable."""
    match_labels: dict[str, str] = {}
    exprs: list[dict[str, Any]] = []
    for r in selector.requirements:
        if r.operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS):
            match_labels[r.key] = r.values[0]
        elif r.operator is Operator.NOT_EQUALS:
            exprs.append({"key": r.key, "operator": "NotIn", "values": list(r.values)})
        elif r.operator is Operator.IN:
            exprs.append({"key": r.key, "operator": "In", "values": list(r.values)})
        elif r.operator is Operator.NOT_IN:
            exprs.append({"key": r.key, "operator": "NotIn", "values": list(r.values)})
        elif r.operator is Operator.EXISTS:
            exprs.append({"key": r.key, "operator": "Exists"})
        elif r.operator is Operator.DOES_NOT_EXIST:
            exprs.append({"key": r.key, "operator": "DoesNotExist"})
        else:
            raise LabelSelectorError(f'"{r.operator.value}" isn\'t supported in label selectors')
    out: dict[str, Any] = {}
    if match_labels:
        out["matchLabels"] = match_labels
    if exprs:
        out["matchExpressions"] = exprs
    return out


def format_labels(labels: Mapping[str, str] | None) -> str:
    """`k=v,k2=v2` sorted by key, `<none>` when empty (labels.FormatLabels, kubectl's columns)."""
    text = ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))
    return text or "<none>"


def set_string(labels: Mapping[str, str] | None) -> str:
    """labels.Set.String(): sorted `k=v` joined by ','; empty for no labels."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))
