"""Command-line options derived from the shared rewrite options (rewriter.domain.RewriteOptions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, get_args

import rich_click as click

from rewriter.domain import MissionChoice, RewriteOptions

Command = TypeVar("Command", bound=Callable[..., Any])


def rewrite_options(command: Command) -> Command:
    """--mission, --candidates and --key-results: the same choices, defaults and words as the API's."""
    for name in ("key_results", "candidates"):  # decorators apply bottom-up: listed in help top-down
        option = RewriteOptions.option(name)
        assert option.low is not None and option.high is not None  # both are bounded in RewriteOptions
        command = click.option(
            "--" + name.replace("_", "-"),
            type=click.IntRange(option.low, option.high),
            default=option.default,
            show_default=True,
            help=option.description,
        )(command)
    mission = RewriteOptions.option("mission")
    return click.option(
        "--mission",
        type=click.Choice(get_args(MissionChoice)),
        default=mission.default,
        show_default=True,
        help=mission.description,
    )(command)
