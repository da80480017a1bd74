"""Placeholder until `venvbuild search` lands; replaced by its real module in this same change."""

from venvbuild.errors import UsageError

HELP = "(not yet available)"


def add_arguments(parser):
    pass


def run(args):
    raise UsageError("venvbuild search is not available yet")
