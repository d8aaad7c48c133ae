"""``xentune timbre show SPEC`` (and ``extract``): look at a timbre's partials."""

from __future__ import annotations

from typing import Annotated

import typer

from xentune.timbre import parse_timbre

__all__ = ["timbre_app"]

timbre_app = typer.Typer(help="Show a timbre's partials, or measure one from a recording.", no_args_is_help=True)


@timbre_app.command("show")
def show(
    spec: Annotated[str, typer.Argument(help="Timbre SPEC, e.g. harmonic:partials=6 or stretched:octave=2.1")],
) -> None:
    """Print the partials of a timbre: ratio, cents above the first partial, amplitude."""
    typer.echo(parse_timbre(spec).table())
