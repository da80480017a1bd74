"""DuckDB, an optional extra: imported only when a local search or `venvbuild sql` needs it."""

from venvbuild.errors import UsageError


def duckdb():
    try:
        import duckdb as module
    except ImportError:
        raise UsageError(
            "--store: a local store is searched with DuckDB, which is not installed: pip install 'venvbuild[duckdb]'"
        ) from None
    return module


def available() -> bool:
    """Whether DuckDB can be imported, without importing it."""
    import importlib.util

    return importlib.util.find_spec("duckdb") is not None


def one_line(exc: BaseException) -> str:
    """DuckDB's messages span lines (LINE 1: ..., carets); keep the first, which says what went wrong."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
