"""sqlite3 with DD_SQLITE_SERVICE and DD_SQLITE_TRACE_FETCH_METHODS."""
import sqlite3

conn = sqlite3.connect(":memory:")
cur = conn.cursor()
cur.execute("select 1 union all select 2 union all select 3")
print("RESULT", cur.fetchone(), cur.fetchmany(1), cur.fetchall())
conn.commit()
conn.close()
