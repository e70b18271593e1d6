"""Tag names of SQL spans and the ``db.system`` spelling of common SQL vendors."""

#: Span type of SQL spans.
TYPE = "sql"
#: The statement, when it is recorded as a tag (it is normally the span's resource).
QUERY = "sql.query"
#: Legacy name of the database tag.
DB = "sql.db"
#: Legacy row-count tag (``db.row_count`` is the current one).
ROWS = "sql.rows"


def normalize_vendor(vendor):
    """The ``db.system`` value for a driver's or DBMS's name (``"sqlite3"`` -> ``"sqlite"``)."""
    if not vendor:
        return "db"
    v = str(vendor).lower()
    if "sqlite" in v:
        return "sqlite"
    if "postgres" in v or v.startswith("psycopg") or v == "asyncpg":
        return "postgresql"
    if "maria" in v:
        return "mariadb"
    if "mysql" in v:
        return "mysql"
    if "vertica" in v:
        return "vertica"
    if "odbc" in v:
        return "odbc"
    return v
