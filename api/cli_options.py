"""Command-line flags derived from the shared rewrite options (rewriter.domain.RewriteOptions)."""

from __future__ import annotations

import argparse
from typing import get_args

from rewriter.domain import MissionChoice, RewriteOptions


def add_rewrite_options(parser: argparse.ArgumentParser) -> None:
    """--mission, --candidates and --key-results: the same choices, defaults and words as the API's."""
    mission = RewriteOptions.option("mission")
    parser.add_argument(
        "--mission",
        choices=get_args(MissionChoice),
        default=mission.default,
        help=f"{mission.description} (default: {mission.default})",
    )
    for name in ("candidates", "key_results"):
        option = RewriteOptions.option(name)
        assert option.low is not None and option.high is not None  # both are bounded in RewriteOptions
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=option.default,
            choices=range(option.low, option.high + 1),
            metavar=f"{option.low}-{option.high}",
            help=f"{option.description} (default: {option.default})",
        )
