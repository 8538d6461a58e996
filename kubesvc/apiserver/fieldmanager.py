"""Field ownership (`metadata.managedFields`) and server-side apply, as kube-apiserver does them.

Theory of operation
-------------------
A *field set* is a set of paths into an object.  A path is a tuple of elements:
`("f", name)` a struct field or map key, `("k", '{"port":80,"protocol":"TCP"}')` an item of an
associative list (`+listType=map`) named by its keys, `("v", '"x"')` a value of a set list, each
carried as the JSON text upstream's FieldsV1 uses.  FieldsV1 is the same set as a tree: `f:`,
`k:`, `v:` prefixes, `{}` for a leaf, and `".": {}` where a path is itself a member and also has
children.

Every write records ownership (structured-merge-diff's rules, carried over):
- Update (create, update, patch): compare old with new.  The writer gains every added or changed
  path; every other manager loses what changed (updates always win) and what was removed.  A map
  or list that did not exist before is itself added (that is the `.` in `f:labels: {.: {}}`);
  structs are not, as they always exist in upstream's typed objects.
- Apply: the applier's set becomes exactly the field set of its applied configuration.  The
  applied configuration is merged into the live object (associative lists by their keys, with
  defaulted key fields such as protocol TCP), fields the applier applied last time but no longer
  does and that no one else owns are removed, and a changed field owned by another manager is a
  conflict (409) unless `force`, which moves the ownership.

Fields nobody can own are stripped first: apiVersion, kind and the server-maintained metadata
(name, namespace, uid, resourceVersion, generation, creationTimestamp, managedFields, ...), and
`status` for writes to the main resource of kinds with a status subresource (`spec` and the rest
for writes to `/status`).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from kubesvc.api.errors import StatusError, bad_request
from kubesvc.api.patch import KindSchema, ListSchema, schema_for

Element = tuple[str, str]
Path = tuple[Element, ...]
FieldSet = set[Path]

_MISSING: Any = object()
_STRIPPED_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "selfLink",
        "managedFields",
        "clusterName",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    }
)
# Kinds whose `status` is only written through the status subresource.
_STATUS_SUBRESOURCE = frozenset({("v1", "Service"), ("v1", "Pod"), ("v1", "Node"), ("v1", "Namespace")})
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _dumps(value: Any) -> str:
    """Compact JSON, keys sorted, UTF-8 left as is.  orjson writes strings, integers and
    objects of them exactly as json.dumps does (same escapes), much faster; other values
    (floats: exponents are written differently) take the json module."""
    t = type(value)
    if t is str or t is int or (t is dict and all(type(v) is str or type(v) is int for v in value.values())):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # an integer beyond 64 bits, a key that is not a string
            pass
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


# ------------------------------------------------------------------------------ FieldsV1 codec


def fields_to_set(fields_v1: Any) -> FieldSet:
    """Decode a FieldsV1 tree into a field set."""
    out: FieldSet = set()
    _walk_fields(fields_v1 or {}, (), out)
    return out


# The recursive helpers below are module-level on purpose: a nested function that calls itself
# is a reference cycle (function -> closure cell -> function) that keeps everything it closes
# over (here every path tuple of the set) alive until the cyclic GC runs, and those collections
# were the apiserver's longest pauses under write load.
def _walk_fields(node: Any, prefix: Path, out: FieldSet) -> None:
    if not isinstance(node, dict):
        raise ValueError("FieldsV1 nodes must be objects")
    for key, child in node.items():
        if key == ".":
            out.add(prefix)
            continue
        kind, sep, rest = key.partition(":")
        if not sep or kind not in ("f", "k", "v", "i"):
            raise ValueError(f"invalid FieldsV1 key {key!r}")
        path = (*prefix, (kind, rest))
        if isinstance(child, dict) and child:
            _walk_fields(child, path, out)
        else:
            out.add(path)


def set_to_fields(paths: Iterable[Path]) -> dict[str, Any]:
    """Encode a field set as a FieldsV1 tree."""
    root: dict[str, Any] = {}
    member_nodes: list[dict[str, Any]] = []
    for path in set(paths):  # in any order: _sorted_tree orders the result
        node = root
        for kind, text in path:
            key = kind + ":" + text
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            node = child
        if path:
            member_nodes.append(node)
    # A member with children is marked by ".".
    for node in member_nodes:
        if node:
            node["."] = {}
    return _sorted_tree(root)


def _sorted_tree(node: dict[str, Any]) -> dict[str, Any]:
    if len(node) == 1:
        for k, child in node.items():
            return {k: _sorted_tree(child) if child else {}}
    return {k: _sorted_tree(child) if child else {} for k, child in sorted(node.items(), key=_item_key_order)}


def _item_key_order(item: tuple[str, Any]) -> tuple[Any, ...]:
    return _key_order(item[0])


_KIND_RANK = {".": 0, "f": 1, "k": 2, "v": 3, "i": 4}


def _value_order(v: Any) -> tuple[Any, ...]:
    """structured-merge-diff's total order of values: numbers, strings, bools, lists, maps, null."""
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, int | float):
        return (0, v)
    if isinstance(v, str):
        return (1, v.encode())
    if isinstance(v, list):
        return (3, len(v), tuple(_value_order(x) for x in v))
    if isinstance(v, dict):
        return (4, len(v), tuple((k.encode(), _value_order(v[k])) for k in sorted(v)))
    return (5,)


@functools.lru_cache(maxsize=8192)
def _key_order(key: str) -> tuple[Any, ...]:
    """FieldsV1 keys in the order upstream writes them: `.`, fields, keys, values, indexes."""
    if key == ".":
        return (0,)
    kind, _, text = key.partition(":")
    rank = _KIND_RANK.get(kind, 5)
    if kind == "f":
        return (rank, text.encode())
    try:
        value = json.loads(text)
    except ValueError:
        return (rank, (9, text))
    if kind == "k" and isinstance(value, dict):
        # A key is a field list sorted by name: shorter lists first, then name/value pairs.
        return (rank, len(value), tuple((k.encode(), _value_order(value[k])) for k in sorted(value)))
    return (rank, _value_order(value))


def path_string(path: Path) -> str:
    """fieldpath.Path.String(): `.spec.ports[port=80,protocol="TCP"].targetPort`."""
    out = []
    for kind, text in path:
        if kind == "f":
            out.append(f".{text}")
        elif kind == "k":
            keys = json.loads(text)
            out.append("[" + ",".join(f"{k}={_dumps(v)}" for k, v in sorted(keys.items())) + "]")
        elif kind == "v":
            out.append(f"[={text}]")
        else:
            out.append(f"[{text}]")
    return "".join(out)


# ------------------------------------------------------------------------------ schema walking


def _join(spath: str, name: str) -> str:
    return f"{spath}.{name}" if spath else name


def _item_element(item: Any, meta: ListSchema) -> Element:
    if not isinstance(item, dict):
        return ("v", _dumps(item))
    defaults = dict(meta.key_defaults)
    keys = {}
    for k in meta.map_keys:
        if k in item:
            keys[k] = item[k]
        elif k in defaults:
            keys[k] = defaults[k]
    return ("k", _dumps(keys))


def _list_meta(schema: KindSchema, spath: str) -> ListSchema:
    return schema.list_at(spath)


def field_set(obj: Any, schema: KindSchema, *, _path: Path = (), _spath: str = "") -> FieldSet:
    """ToFieldSet: every leaf, list item and set value of `obj` (containers are not members)."""
    out: FieldSet = set()
    if isinstance(obj, dict):
        if _spath in schema.atomic_maps:
            out.add(_path)
            return out
        for k, v in obj.items():
            if type(v) is dict and not v:
                # structured-merge-diff: a field whose value is an empty map (an empty marker
                # struct such as `emptyDir: {}`) is itself a member, as a null one is
                out.add((*_path, ("f", k)))
                continue
            out |= field_set(v, schema, _path=(*_path, ("f", k)), _spath=_join(_spath, k))
    elif isinstance(obj, list):
        meta = _list_meta(schema, _spath)
        if meta.list_type == "map":
            for item in obj:
                p = (*_path, _item_element(item, meta))
                out.add(p)
                out |= field_set(item, schema, _path=p, _spath=_spath)
        elif meta.list_type == "set":
            out |= {(*_path, ("v", _dumps(x))) for x in obj}
        else:
            out.add(_path)
    else:
        out.add(_path)
    return out


@dataclass
class Comparison:
    added: FieldSet = field(default_factory=set)
    modified: FieldSet = field(default_factory=set)
    removed: FieldSet = field(default_factory=set)

    def changed(self) -> FieldSet:
        return self.added | self.modified


def _leaf_diff(old: Any, new: Any, path: Path, acc: Comparison) -> None:
    if old is _MISSING and new is _MISSING:
        return
    if old is _MISSING:
        acc.added.add(path)
    elif new is _MISSING:
        acc.removed.add(path)
    elif old != new or type(old) is not type(new):
        acc.modified.add(path)


def compare(
    old: Any,
    new: Any,
    schema: KindSchema,
    *,
    _path: Path = (),
    _spath: str = "",
    _acc: Comparison | None = None,
) -> Comparison:
    """Added, modified and removed paths between two objects (structured-merge-diff Compare)."""
    acc = _acc if _acc is not None else Comparison()
    o_dict, n_dict = isinstance(old, dict), isinstance(new, dict)
    o_list, n_list = isinstance(old, list), isinstance(new, list)
    if (o_dict or n_dict) and (old is _MISSING or o_dict) and (new is _MISSING or n_dict):
        o = old if o_dict else {}
        n = new if n_dict else {}
        if _spath in schema.atomic_maps or (not o and not n):
            _leaf_diff(old, new, _path, acc)
            return acc
        if schema.is_map(_spath):
            if old is _MISSING:
                acc.added.add(_path)
            elif new is _MISSING:
                acc.removed.add(_path)
        for k in list(o) + [k for k in n if k not in o]:
            o_v, n_v = o.get(k, _MISSING), n.get(k, _MISSING)
            if not isinstance(o_v, dict | list) and not isinstance(n_v, dict | list):
                _leaf_diff(o_v, n_v, (*_path, ("f", k)), acc)  # what the recursion does for scalars
                continue
            compare(o_v, n_v, schema, _path=(*_path, ("f", k)), _spath=_join(_spath, k), _acc=acc)
        return acc
    if (o_list or n_list) and (old is _MISSING or o_list) and (new is _MISSING or n_list):
        meta = _list_meta(schema, _spath)
        o_items = old if o_list else []
        n_items = new if n_list else []
        if meta.list_type == "atomic" or (not o_items and not n_items):
            _leaf_diff(old, new, _path, acc)
            return acc
        if old is _MISSING:
            acc.added.add(_path)
        elif new is _MISSING:
            acc.removed.add(_path)
        if meta.list_type == "set":
            o_vals = {_dumps(x) for x in o_items}
            n_vals = {_dumps(x) for x in n_items}
            acc.added |= {(*_path, ("v", v)) for v in n_vals - o_vals}
            acc.removed |= {(*_path, ("v", v)) for v in o_vals - n_vals}
            return acc
        o_by = {_item_element(x, meta): x for x in o_items}
        n_by = {_item_element(x, meta): x for x in n_items}
        for pe in list(o_by) + [pe for pe in n_by if pe not in o_by]:
            p = (*_path, pe)
            o_item, n_item = o_by.get(pe, _MISSING), n_by.get(pe, _MISSING)
            if o_item is _MISSING:
                acc.added.add(p)
            elif n_item is _MISSING:
                acc.removed.add(p)
            compare(o_item, n_item, schema, _path=p, _spath=_spath, _acc=acc)
        return acc
    _leaf_diff(old, new, _path, acc)
    return acc


def added_paths(new: dict[str, Any], schema: KindSchema) -> FieldSet:
    """`compare({}, new, schema).added` (everything of `new` is added; nothing is modified or
    removed), without the two-sided walk: the field set a create records."""
    out: FieldSet = set()
    for k, v in new.items():
        if isinstance(v, dict | list):
            _add_all(v, schema, (("f", k),), k, out)
        else:
            out.add((("f", k),))
    return out


def _add_all(new: Any, schema: KindSchema, path: Path, spath: str, out: FieldSet) -> None:
    """What `compare(_MISSING, new, ...)` adds, case by case."""
    if isinstance(new, dict):
        if not new or spath in schema.atomic_maps:
            out.add(path)
            return
        if schema.is_map(spath):
            out.add(path)
        for k, v in new.items():
            if isinstance(v, dict | list):
                _add_all(v, schema, (*path, ("f", k)), _join(spath, k), out)
            else:
                out.add((*path, ("f", k)))
        return
    if isinstance(new, list):
        meta = _list_meta(schema, spath)
        out.add(path)
        if meta.list_type == "atomic" or not new:
            return
        if meta.list_type == "set":
            for x in new:
                out.add((*path, ("v", _dumps(x))))
            return
        # a map list: one member per key (a repeated key: the last item), in first-seen order
        by_key = {_item_element(x, meta): x for x in new}
        for pe, item in by_key.items():
            p = (*path, pe)
            out.add(p)
            _add_all(item, schema, p, spath, out)
        return
    out.add(path)


# ------------------------------------------------------------------------------ managers


@dataclass
class Manager:
    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str
    fields: FieldSet

    @property
    def identity(self) -> tuple[str, str, str, str]:
        # Appliers are one manager whatever version they applied in.
        version = "" if self.operation == "Apply" else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def describe(self) -> str:
        """printManager: `"kubectl"`, `"kubectl-edit" using v1`, `... with subresource "status"`."""
        text = _dumps(self.manager)
        if self.subresource:
            text += f" with subresource {_dumps(self.subresource)}"
        if self.operation == "Update":
            # Upstream's manager identifiers carry no time, so none is printed.
            text += f" using {self.api_version}"
        return text

    def encode(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time:
            entry["time"] = self.time
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = set_to_fields(self.fields)
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def decode_managed_fields(entries: Any) -> list[Manager]:
    """Decode `metadata.managedFields`; raises ValueError on malformed entries."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    out: list[Manager] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise ValueError(f"managed fields entry {i} is not an object")
        if e.get("operation") not in ("Apply", "Update"):
            raise ValueError("operation must be `Apply` or `Update`")
        if not e.get("apiVersion"):
            raise ValueError("apiVersion must not be empty")
        if e.get("fieldsType") != "FieldsV1":
            raise ValueError(f"invalid fieldsType {e.get('fieldsType')!r} in managed fields entry {i}")
        out.append(
            Manager(
                manager=str(e.get("manager", "")),
                operation=str(e["operation"]),
                api_version=str(e["apiVersion"]),
                time=e.get("time"),
                subresource=str(e.get("subresource", "")),
                fields=fields_to_set(e.get("fieldsV1") or {}),
            )
        )
    return out


def _rfc3339(now: str | datetime) -> str:
    """`now` as the API writes times; callers may pass an aware datetime or the string."""
    if isinstance(now, datetime):
        return _datetime_text(now)
    return now


@functools.lru_cache(maxsize=16)
def _datetime_text(now: datetime) -> str:
    # Cached: every write of the same second formats the same time.
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time_key(t: str | None) -> float:
    if not t or not isinstance(t, str):
        return 0.0
    try:
        return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def encode_managed_fields(managers: list[Manager]) -> list[dict[str, Any]]:
    """Entries sorted as upstream: Apply before Update, then by time, manager, version, subresource."""
    kept = [m for m in managers if m.fields]
    if len(kept) > 1:
        kept.sort(key=lambda m: (m.operation, _time_key(m.time), m.manager, m.api_version, m.subresource))
    return [m.encode() for m in kept]


def _is_reset(entries: Any) -> bool:
    if isinstance(entries, list):
        return len(entries) == 0 or (len(entries) == 1 and entries[0] == {})
    return False


def _live_or_new(old: dict[str, Any] | None, new: dict[str, Any], subresource: str) -> list[Manager]:
    live_entries = (old or {}).get("metadata", {}).get("managedFields")
    if subresource:
        return _decode_or_empty(live_entries)
    new_entries = new.get("metadata", {}).get("managedFields")
    if _is_reset(new_entries):
        return []
    try:
        managers = decode_managed_fields(new_entries)
    except ValueError:
        managers = []
    return managers or _decode_or_empty(live_entries)


def _decode_or_empty(entries: Any) -> list[Manager]:
    try:
        return decode_managed_fields(entries)
    except ValueError:
        return []


# ------------------------------------------------------------------------------ stripping


def _strip(obj: dict[str, Any] | None, *, api_version: str, kind: str, subresource: str) -> dict[str, Any]:
    """The part of an object whose fields can be owned."""
    if not obj:
        return {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta = {k: v for k, v in meta.items() if k not in _STRIPPED_META}
        if meta:
            out["metadata"] = meta
        else:
            out.pop("metadata")
    if (api_version, kind) in _STATUS_SUBRESOURCE:
        if subresource == "status":
            out = {k: v for k, v in out.items() if k in ("status", "metadata")}
        elif not subresource:
            out.pop("status", None)
    return out


# ------------------------------------------------------------------------------ Update


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    operation: str = "Update",
    subresource: str = "",
    api_version: str,
    now: str | datetime,
) -> None:
    """Record the ownership change of a create/update/patch in `new["metadata"]["managedFields"]`."""
    now = _rfc3339(now)
    kind = str(new.get("kind") or (old or {}).get("kind") or "")
    schema = schema_for(api_version, kind)
    managers = _live_or_new(old, new, subresource)
    stripped_new = _strip(new, api_version=api_version, kind=kind, subresource=subresource)
    if old is None:  # a create: everything is added
        cmp = Comparison(added=added_paths(stripped_new, schema))
    else:
        cmp = compare(
            _strip(old, api_version=api_version, kind=kind, subresource=subresource), stripped_new, schema
        )
    me = Manager(manager, operation, api_version, now, subresource, set())
    changed = cmp.changed()
    mine: Manager | None = None
    for m in managers:
        if m.identity == me.identity:
            mine = m
            continue
        m.fields -= changed
        m.fields -= cmp.removed
    if mine is None:
        mine = Manager(manager, operation, api_version, None, subresource, set())
        managers.append(mine)
    mine.fields -= cmp.removed
    if changed:
        mine.fields |= changed
        mine.time = now
    new.setdefault("metadata", {})["managedFields"] = encode_managed_fields(_cap_updaters(managers))
    if not new["metadata"]["managedFields"]:
        del new["metadata"]["managedFields"]


# ------------------------------------------------------------------------------ Apply


def _ssa_merge(live: Any, applied: Any, schema: KindSchema, spath: str) -> Any:
    if isinstance(applied, dict) and isinstance(live, dict) and spath not in schema.atomic_maps:
        out = dict(live)
        for k, v in applied.items():
            if v is None:
                out.pop(k, None)
            elif k in live:
                out[k] = _ssa_merge(live[k], v, schema, _join(spath, k))
            else:
                out[k] = copy.deepcopy(v)
        return out
    if isinstance(applied, list) and isinstance(live, list):
        meta = _list_meta(schema, spath)
        if meta.list_type in ("map", "set"):
            return _merge_items(live, applied, meta, schema, spath)
    return copy.deepcopy(applied)


def _merge_items(
    live: list[Any], applied: list[Any], meta: ListSchema, schema: KindSchema, spath: str
) -> list[Any]:
    """Merge associative (or set) list items by key, ordered as structured-merge-diff orders them:
    items of both lists follow the applied order, live-only items keep their place among them,
    applied-only items come where the applied list has them."""
    lhs = {_item_element(x, meta): x for x in live}
    rhs = {_item_element(x, meta): x for x in applied}
    lhs_order, rhs_order = list(lhs), list(rhs)
    shared = [pe for pe in rhs_order if pe in lhs]
    next_shared = shared.pop(0) if shared else None

    def merged(pe: Element) -> Any:
        if pe in lhs and meta.list_type == "map":
            return _ssa_merge(lhs[pe], rhs[pe], schema, spath)
        return copy.deepcopy(rhs[pe])

    out: list[Any] = []
    li = ri = 0
    while li < len(lhs_order) or ri < len(rhs_order):
        if li < len(lhs_order) and ri < len(rhs_order):
            pe = lhs_order[li]
            if pe == rhs_order[ri]:
                out.append(merged(pe))
                li, ri = li + 1, ri + 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in rhs and next_shared is not None and next_shared != pe:
                li += 1  # a shared item that the applied order places later
                continue
        if li < len(lhs_order) and lhs_order[li] not in rhs:
            out.append(copy.deepcopy(lhs[lhs_order[li]]))
            li += 1
            continue
        if ri < len(rhs_order):
            pe = rhs_order[ri]
            out.append(merged(pe))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop(0) if shared else None
        else:
            li += 1
    return out


def _remove_path(obj: Any, path: Path, schema: KindSchema, spath: str = "") -> bool:
    """Remove the value at `path`; True when found.  Maps and lists emptied by it are dropped."""
    if not path:
        return False
    (kind, text), rest = path[0], path[1:]
    if kind == "f" and isinstance(obj, dict) and text in obj:
        child_spath = _join(spath, text)
        if not rest:
            del obj[text]
            return True
        found = _remove_path(obj[text], rest, schema, child_spath)
        child = obj[text]
        if found and (isinstance(child, list) or schema.is_map(child_spath)) and not child:
            del obj[text]
        return found
    if kind in ("k", "v") and isinstance(obj, list):
        meta = _list_meta(schema, spath)
        for i, item in enumerate(obj):
            if _item_element(item, meta) == (kind, text):
                if not rest:
                    del obj[i]
                    return True
                return _remove_path(item, rest, schema, spath)
    return False


def _prune(merged: dict[str, Any], candidates: FieldSet, owned: FieldSet, schema: KindSchema) -> None:
    """Remove fields the applier dropped that no one owns.  A field (a struct field or map key)
    that holds a field someone owns stays, as its container; an item of an associative or set
    list is removed whole, whatever others own inside it (structured-merge-diff's prune: only
    named fields count as members of what is owned below them)."""
    for path in sorted(candidates, key=len):
        if path and path[-1][0] == "f" and any(o[: len(path)] == path and o != path for o in owned):
            continue
        _remove_path(merged, path, schema)


def _conflict_error(conflicts: list[tuple[Manager, Path]]) -> StatusError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {m.describe()}",
            "field": path_string(p),
        }
        for m, p in conflicts
    ]
    if len(conflicts) == 1:
        m, p = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {m.describe()}: {path_string(p)}"
    else:
        by_manager: dict[str, list[str]] = {}
        for m, p in conflicts:
            by_manager.setdefault(m.describe(), []).append(path_string(p))
        lines = []
        for who in sorted(by_manager):
            lines.append(f"conflicts with {who}:")
            lines += [f"- {p}" for p in by_manager[who]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return StatusError(409, "Conflict", message, {"causes": causes})


def server_side_apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    *,
    manager: str,
    force: bool,
    now: str | datetime,
    api_version: str,
    kind: str,
    subresource: str = "",
) -> dict[str, Any]:
    """Merge an applied configuration into the live object and return the new object.

    Raises StatusError 409 (reason Conflict, causes FieldManagerConflict) when a field the
    configuration changes is owned by another manager, unless `force`.
    """
    now = _rfc3339(now)
    if ((applied.get("metadata") or {}).get("managedFields")) is not None:
        raise bad_request("metadata.managedFields must be nil")
    schema = schema_for(api_version, kind)
    managers = _decode_or_empty((live or {}).get("metadata", {}).get("managedFields"))
    live_view = _strip(live, api_version=api_version, kind=kind, subresource=subresource)
    applied_view = _strip(applied, api_version=api_version, kind=kind, subresource=subresource)
    if live is not None and not managers and live_view:
        # Objects written before any ownership was recorded: someone owns what is there.
        managers.append(
            Manager("before-first-apply", "Update", api_version, now, "", field_set(live_view, schema))
        )

    applier = Manager(manager, "Apply", api_version, now, subresource, field_set(applied_view, schema))
    previous = next((m for m in managers if m.identity == applier.identity), None)
    others = [m for m in managers if m.identity != applier.identity]

    base = copy.deepcopy(live) if live is not None else {}
    base.get("metadata", {}).pop("managedFields", None)
    to_merge = _strip_for_merge(applied, live is None)
    if (api_version, kind) in _STATUS_SUBRESOURCE:
        # The other half of the object is reset: its changes are ignored, as upstream does.
        if subresource == "status":
            to_merge = {
                k: v for k, v in to_merge.items() if k in ("apiVersion", "kind", "metadata", "status")
            }
        else:
            to_merge.pop("status", None)
    merged: dict[str, Any] = _ssa_merge(base, to_merge, schema, "")
    if previous is not None:
        owned = applier.fields.union(*(m.fields for m in others))
        _prune(merged, previous.fields - owned, owned, schema)

    cmp = compare(
        live_view, _strip(merged, api_version=api_version, kind=kind, subresource=subresource), schema
    )
    changed = cmp.changed()
    conflicts = [(m, p) for m in others for p in sorted(m.fields & changed, key=path_string)]
    if conflicts and not force and manager == "kubectl":
        # Moving from client-side to server-side apply: what the last client-side apply set,
        # and still holds, counts as kubectl's own (upstream's lastAppliedManager).
        allowed = _allowed_from_last_applied(
            live, api_version=api_version, kind=kind, subresource=subresource
        )
        conflicts = [(m, p) for m, p in conflicts if p not in allowed]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for m in others:
        m.fields -= changed
        m.fields -= cmp.removed
    if manager == "kubectl" and LAST_APPLIED in ((live or {}).get("metadata") or {}).get("annotations", {}):
        _sync_last_applied(merged, applied)
    if previous is not None and live is not None:
        live_meta = {k: v for k, v in (live.get("metadata") or {}).items() if k != "managedFields"}
        if merged == {**live, "metadata": live_meta}:
            # A no-op apply keeps the manager's timestamp (upstream stamps the time only when
            # the object changed), so the write is a no-op and the resourceVersion stays.
            applier.time = previous.time
    merged.setdefault("metadata", {})["managedFields"] = encode_managed_fields(
        _cap_updaters([applier, *others])
    )
    if not merged["metadata"]["managedFields"]:
        del merged["metadata"]["managedFields"]
    return merged


def _allowed_from_last_applied(
    live: dict[str, Any] | None, *, api_version: str, kind: str, subresource: str
) -> FieldSet:
    text = (((live or {}).get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return set()
    try:
        last = json.loads(text)
    except ValueError:
        return set()
    if not isinstance(last, dict):
        return set()
    schema = schema_for(api_version, kind)
    last_view = _strip(last, api_version=api_version, kind=kind, subresource=subresource)
    live_view = _strip(live, api_version=api_version, kind=kind, subresource=subresource)
    diff = compare(last_view, live_view, schema)
    return field_set(last_view, schema) - diff.modified - diff.added - diff.removed


def _sync_last_applied(merged: dict[str, Any], applied: dict[str, Any]) -> None:
    """kubectl's server-side apply keeps a client-side-apply annotation in step (upstream's
    lastAppliedUpdater): it becomes the applied configuration, minus the annotation itself, so a
    later client-side `kubectl apply` computes its patch from what was really applied."""
    config = copy.deepcopy(applied)
    annotations = (config.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
    merged.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = _dumps(config) + "\n"


MAX_UPDATE_MANAGERS = 10
ANCIENT_CHANGES = "ancient-changes"


def _cap_updaters(managers: list[Manager]) -> list[Manager]:
    """At most ten Update entries: the oldest are merged, per API version, into "ancient-changes"."""
    updaters = [m for m in managers if m.operation == "Update" and m.fields]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return managers
    updaters.sort(key=lambda m: (_time_key(m.time), m.manager))
    out = [m for m in managers if not (m.operation == "Update" and m.fields)]
    first_by_version: dict[str, Manager] = {}
    buckets: dict[str, Manager] = {}
    for m in updaters:
        if m.manager == ANCIENT_CHANGES and not m.subresource:
            buckets[m.api_version] = m
    length = len(updaters)
    kept: list[Manager] = []
    for m in updaters:
        if length <= MAX_UPDATE_MANAGERS or m is buckets.get(m.api_version):
            if m not in kept:
                kept.append(m)
            continue
        first = first_by_version.get(m.api_version)
        if first is None:
            first_by_version[m.api_version] = m
            kept.append(m)
            continue
        bucket = buckets.get(m.api_version)
        if bucket is None:
            kept.remove(first)
            bucket = Manager(ANCIENT_CHANGES, "Update", m.api_version, first.time, "", set(first.fields))
            buckets[m.api_version] = bucket
            kept.append(bucket)
        if bucket not in kept:
            kept.append(bucket)
        bucket.fields |= m.fields
        bucket.time = m.time
        length -= 1
    return out + kept


def _strip_for_merge(applied: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The applied object as merged into live: managedFields never come from the config."""
    out = copy.deepcopy(applied)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        if not creating:
            for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
                meta.pop(k, None)
    return out
