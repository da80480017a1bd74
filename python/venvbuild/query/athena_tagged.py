"""`venvbuild search --athena --tag TAG`: the Athena search narrowed to the builds current tags point at,
computed in SQL from the tag events' table (`venvbuild ddl --tags`) joined with the records table."""

from venvbuild import naming
from venvbuild._util.resources import read_text
from venvbuild.lifecycle import tags
from venvbuild.query import athena, sqlparams
from venvbuild.query.ddl import DEFAULT_TAGS_TABLE


def check(tag_names, tags_table: str = DEFAULT_TAGS_TABLE) -> None:
    """Each bad --tag or --tags-table is a UsageError naming its option, before any query."""
    for name in tag_names:
        tags.check_tag(name, "--tag")
    naming.check("athena_name", tags_table, "--tags-table")  # spliced into the SQL, as --table is


def candidates(where: athena.Target, criteria, tag_names, tags_table: str = DEFAULT_TAGS_TABLE, client=None) -> list:
    """Rows (matching.ROW_COLUMNS) of the builds some current tag among tag_names points at, newest first;
    with SPECs only those holding every requested name."""
    check(tag_names, tags_table)
    sql = (
        read_text("sql/search_athena_tagged.sql")
        .replace("{tags_table}", f'"{where.database}"."{tags_table}"')
        .replace("{table}", f'"{where.database}"."{where.table}"')
    )
    values = {**criteria.sql_parameters(), "tags": ",".join(tag_names)}  # tag names hold no ','
    sql, parameters = sqlparams.positional(sql, values)
    _, rows = athena.run_query(client or athena.make_client(where), sql, parameters, where)
    return rows
