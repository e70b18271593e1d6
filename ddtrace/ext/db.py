"""Tag names of database client spans."""

#: The database product: ``sqlite``, ``postgresql``, ``mysql``, ``redis``...
SYSTEM = "db.system"
#: The database (schema) name.
NAME = "db.name"
#: The user name the client connected as.
USER = "db.user"
#: Rows returned or affected, as the driver reports them (``cursor.rowcount``).
ROWCOUNT = "db.row_count"
