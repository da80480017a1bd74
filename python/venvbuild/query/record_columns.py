"""The local index's columns for a search record: the schema's column list (metadata_columns) in DuckDB types.

Deriving them keeps `venvbuild sql`'s view in step with the schema: a field added there becomes a
column here (and the index is rebuilt, its format names the columns).
"""

from venvbuild.record import metadata_columns


def columns() -> list:
    """[(name, DuckDB type)] in the schema's order: the design's nine first, then the extras."""
    return [(name, metadata_columns.duckdb(t)) for name, t in metadata_columns.columns()]
