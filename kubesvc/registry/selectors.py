"""Label and field selectors for list and watch, on top of `kubesvc.api.labels` and
`kubesvc.api.fieldselector` (META's modules), with upstream's error texts for bad selectors.

`ObjectFilter` is built once per request and answers `matches(obj)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubesvc.api import errors, fieldselector, labels
from kubesvc.api.scheme import ResourceInfo


def _parse_labels(text: str) -> Callable[[Mapping[str, str]], bool]:
    try:
        sel = labels.parse(text)
    except ValueError as exc:
        raise errors.bad_request(str(exc)) from exc
    return sel.matches


def _parse_fields(info: ResourceInfo, text: str) -> Callable[[dict[str, Any]], bool]:
    try:
        sel = fieldselector.convert_selector(fieldselector.parse(text), info.api_version, info.kind)
    except ValueError as exc:
        raise errors.bad_request(str(exc)) from exc
    namespaced = info.namespaced

    def matches(obj: dict[str, Any]) -> bool:
        return fieldselector.matches_object(sel, obj, namespaced=namespaced)

    return matches


@dataclass
class ObjectFilter:
    label: Callable[[Mapping[str, str]], bool] | None = None
    field: Callable[[dict[str, Any]], bool] | None = None

    @property
    def everything(self) -> bool:
        return self.label is None and self.field is None

    def matches(self, obj: dict[str, Any]) -> bool:
        if self.label is not None and not self.label((obj.get("metadata") or {}).get("labels") or {}):
            return False
        return not (self.field is not None and not self.field(obj))


def build_filter(info: ResourceInfo, label_selector: str = "", field_selector: str = "") -> ObjectFilter:
    f = ObjectFilter()
    if label_selector.strip():
        f.label = _parse_labels(label_selector)
    if field_selector.strip():
        f.field = _parse_fields(info, field_selector)
    return f
