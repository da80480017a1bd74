"""venvbuild: reproducible, validated, versioned Python virtual environments."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("venvbuild")
except PackageNotFoundError:  # running from a source tree that was never installed
    from venvbuild._util.resources import read_text

    __version__ = read_text("VERSION").strip()
