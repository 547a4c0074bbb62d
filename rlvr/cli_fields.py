"""Typer options built from a dataclass's fields and their `help` metadata, as TRL's HfArgumentParser does.

    @app.command()
    @field_options(TrainConfig, skip={"rewards"})
    def train(config: Path | None = None, **overrides): ...   # --model, --data, ... with help and defaults

Each option defaults to None (not given: the recipe or the dataclass default applies) and shows the
dataclass default in `--help`. Lists take repeated options or comma-separated values.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any

import typer

SCALARS = (str, int, float, bool)


def _scalar(hint: Any) -> tuple[type | None, bool]:
    """The option's element type and whether it is a list (None: a field the CLI leaves to the recipe)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        hint = args[0]
    if typing.get_origin(hint) is list:
        (inner,) = typing.get_args(hint)
        return (inner, True) if inner in SCALARS else (None, False)
    return (hint, False) if hint in SCALARS else (None, False)


def _shown(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return "required"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _parameters(cls: type, skip: set[str], names: dict[str, str]) -> dict[str, tuple[inspect.Parameter, type, bool]]:
    hints = typing.get_type_hints(cls)
    out = {}
    for field in dataclasses.fields(cls):
        element, is_list = _scalar(hints[field.name])
        if field.name in skip or element is None:
            continue
        flag = "--" + names.get(field.name, field.name).replace("_", "-")
        help_text = field.metadata.get("help", "")
        decls = [flag] if element is not bool else [f"{flag}/{flag.replace('--', '--no-', 1)}"]
        option = typer.Option(*decls, help=help_text, show_default=_shown(field))
        value_type: Any = list[str] | None if is_list else element | None
        annotation = Annotated[value_type, option]
        out[field.name] = (
            inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation),
            element,
            is_list,
        )
    return out


def field_options(
    cls: type,
    skip: frozenset[str] | set[str] = frozenset(),
    names: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add an option per simple field of `cls` to a command; the given ones reach it as `**overrides`."""
    generated = _parameters(cls, set(skip), names or {})

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [
            p
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.kind != inspect.Parameter.VAR_KEYWORD
        ]

        @functools.wraps(command)
        def wrapper(**given: Any) -> Any:
            fixed = {name: given.pop(name) for name in [p.name for p in own]}
            overrides = {
                name: _convert(value, *generated[name][1:]) for name, value in given.items() if value is not None
            }
            return command(**fixed, **overrides)

        parameters = [*own, *(p for p, _, _ in generated.values())]
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate


def _convert(value: Any, element: type, is_list: bool) -> Any:
    if not is_list:
        return value
    parts = [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    try:
        return [element(part) for part in parts]
    except ValueError:
        raise typer.BadParameter(f"expected {element.__name__} values, got {value}") from None
