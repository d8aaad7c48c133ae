"""JSON Schemas derived from frozen dataclasses: the report's format is described once, by its types."""

from __future__ import annotations

import types
import typing
from dataclasses import fields, is_dataclass
from typing import Any, Literal, Union

from xentune.errors import ConfigError

__all__ = ["dataclass_json_schema", "validate_json"]

#: The JSON Schema dialect of the derived schemas.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also accepts ``null``."""
    out = dict(schema)
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    elif "type" in out:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*kinds, "null"]
    else:
        out = {"anyOf": [schema, {"type": "null"}]}
    return out


def _schema_of(hint: Any) -> dict[str, Any]:  # noqa: ANN401 - any type hint
    """The JSON Schema of a value of type ``hint`` (the types `Analysis` and its parts use)."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _schema_of(args[0]) if len(args) == 1 else {"anyOf": [_schema_of(a) for a in args]}
        return _nullable(inner) if len(args) < len(typing.get_args(hint)) else inner
    if origin is Literal:
        return {"enum": list(typing.get_args(hint))}
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_of(args[0])}
        return {
            "type": "array",
            "prefixItems": [_schema_of(a) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_of(typing.get_args(hint)[1])}
    if hint is Any:
        return {}
    if isinstance(hint, type) and is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        names = [f.name for f in fields(hint)]
        doc = (hint.__doc__ or "").strip().splitlines()
        return {
            "type": "object",
            "description": doc[0] if doc else hint.__name__,
            "properties": {n: _schema_of(hints[n]) for n in names},
            "required": sorted(names),
            "additionalProperties": False,
        }
    simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if hint in simple:
        return {"type": simple[hint]}
    raise TypeError(f"no JSON Schema for the type {hint!r}")


def dataclass_json_schema(
    cls: type, *, title: str, schema_id: str, consts: dict[str, object] | None = None
) -> dict[str, Any]:
    """The JSON Schema of ``dataclasses.asdict(x)`` for an ``x`` of the dataclass ``cls``.

    Every field is required and no other is allowed; ``X | None`` is nullable, ``Literal`` an
    enum, ``tuple[X, ...]`` an array, nested dataclasses are objects described by the first line
    of their docstring. ``consts`` pins top-level fields to one value (e.g. a format version).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Fit:
    ...     '''One fit.'''
    ...     n: int
    ...     error: float | None
    >>> s = dataclass_json_schema(Fit, title="fit", schema_id="x:fit", consts={"n": 12})
    >>> s["properties"]["n"], s["properties"]["error"]["type"]
    ({'const': 12}, ['number', 'null'])
    """
    schema = _schema_of(cls)
    for name, value in (consts or {}).items():
        schema["properties"][name] = {"const": value}
    return {"$schema": DIALECT, "$id": schema_id, "title": title, **schema}


def validate_json(
    data: object, schema: dict[str, Any], *, source: str, what: str, fix: str
) -> None:
    """Check ``data`` against ``schema``; the first violation becomes one `ConfigError` line.

    Raises
    ------
    ConfigError
        ``{source}: not a valid {what} (at /json/path: message); {fix}``.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        raise ConfigError(
            f"{source}: not a valid {what} (at {where}: {error.message[:200]}); {fix}"
        )
