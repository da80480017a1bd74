"""Placeholder until `venvbuild sql` lands; replaced by its real module in this same change."""

from venvbuild.errors import UsageError

HELP = "(not yet available)"


def add_arguments(parser):
    pass


def run(args):
    raise UsageError("venvbuild sql is not available yet")
