"""What ``--help`` shows beyond the options: the environment variables a command reads and
the database it would use if run now (people otherwise find out which database a command
used only after it wrote a key into the wrong one), and boolean flags without a type.

Commands pass ``cls=reads(...)``; groups pass ``cls=HelpGroup``.
"""

from __future__ import annotations

from typer import _click
from typer.core import TyperCommand, TyperGroup, TyperOption

DATABASE = ("MOVIES_DATABASE_URL", "MOVIES_DATABASE_PASSWORD")


class _Flag(TyperOption):
    """A boolean flag: its name says everything, so no ``<bool>`` type column."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None


def _untyped_flags(params: list[_click.Parameter]) -> list[_click.Parameter]:
    for param in params:
        if type(param) is TyperOption and param.is_bool_flag:
            param.__class__ = _Flag
    return params


class HelpGroup(TyperGroup):
    """A command group whose ``--help`` shows flags without a ``<bool>`` type."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        return _untyped_flags(super().get_params(ctx))


def environment(variables: tuple[str, ...], *, database: bool) -> str:
    """The help text's last paragraphs: the variables read, and the database now meant."""
    from pydantic import ValidationError

    from movies_api.settings import Settings
    from movies_api.startup import database_shown, database_source

    read = ", ".join(variables) if variables else "none (everything is an option)"
    paragraphs = [f"Environment: {read}."]
    if database:
        try:
            settings = Settings()
        except ValidationError:
            paragraphs.append("Database: unknown, the configuration is invalid (run to see why).")
        else:
            paragraphs.append(
                f"Database: {database_shown(settings)} (from {database_source(settings)})."
            )
    return "\n\n".join(paragraphs)


def reads(
    *variables: str, database: bool = True, every_setting: bool = False
) -> type[TyperCommand]:
    """A command class whose ``--help`` ends with ``variables`` (with ``every_setting``,
    all the service's) and, when the command uses one, the database it would use: worked
    out when help is asked for, from the environment of that moment."""

    class Command(TyperCommand):
        def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
            return _untyped_flags(super().get_params(ctx))

        def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
            if every_setting:
                from movies_api.settings import Settings

                self.epilog = environment(Settings.variables(), database=database)
            else:
                self.epilog = environment(variables, database=database)
            super().format_help(ctx, formatter)

    return Command
