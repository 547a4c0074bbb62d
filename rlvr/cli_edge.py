"""The edge every `rlvr` command shares: a person's mistake as one line and exit status 2, and help
without type noise on flags.

    app = typer.Typer(cls=RlvrGroup)
    @app.command(cls=RlvrCommand)
    def score(...): ...

A `UserError` (rlvr/errors.py: an unknown verifier, a data spec or file of the wrong shape, a
service that does not answer, a missing model) raised anywhere below a command prints
`rlvr: error: <message>` on stderr and exits 2; `rlvr --debug <command>` prints the traceback first.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import traceback
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from rlvr.errors import UserError

EXIT_USER_ERROR = 2  # as for a usage error (click's): the command was asked for something that cannot work
DEBUG = "debug"  # the root command's option: tracebacks for user errors too


def one_line(exc: BaseException) -> str:
    """The message of `exc` on one line (a multi-line message's lines joined by '; ').

    >>> one_line(ValueError("first\\n  second\\n"))
    'first; second'
    """
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__


def _untyped_flags(params: list[Any]) -> list[Any]:
    """Flags take no value: no `<bool>` beside them in help (typer shows every option's type)."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    return params


class RlvrCommand(TyperCommand):
    """A command whose help shows a type only where an option takes a value."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped_flags(super().get_params(ctx))


class RlvrGroup(TyperGroup):
    """A group of commands that turns a `UserError` into one line on stderr and exit status 2."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped_flags(super().get_params(ctx))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            if ctx.find_root().params.get(DEBUG):
                traceback.print_exc()
            typer.echo(f"rlvr: error: {one_line(exc)}", err=True)
            raise typer.Exit(EXIT_USER_ERROR) from None
