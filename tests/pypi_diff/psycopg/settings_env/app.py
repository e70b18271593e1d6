"""psycopg2 and psycopg 3 with DD_PSYCOPG_SERVICE and DD_PSYCOPG_TRACE_FETCH_METHODS."""
import psycopg
import psycopg2

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"

conn = psycopg2.connect(DSN)
cur = conn.cursor()
cur.execute("select generate_series(1, 3)")
print("RESULT", cur.fetchone(), cur.fetchmany(1), cur.fetchall())
conn.commit()
conn.close()

with psycopg.connect(DSN) as conn3:
    cur = conn3.cursor()
    cur.execute("select generate_series(1, 2)")
    print("RESULT", cur.fetchone(), cur.fetchall())
    conn3.commit()
