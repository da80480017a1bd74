"""The `venvbuild` command: the parser in app.py, one module per subcommand in commands/."""

from venvbuild.cli.app import main

__all__ = ["main"]
