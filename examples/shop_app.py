"""The server side of the two-service test: a Flask app that reads PostgreSQL and Redis.

Served by gunicorn under ``ddtrace-run`` (no tracing code in here: everything is
instrumented automatically).
"""
import os

import psycopg2
import redis
from flask import Flask
from flask import jsonify

app = Flask(__name__)
_cache = redis.Redis(host="127.0.0.1", port=6379, db=9)


@app.route("/stock/<int:item_id>")
def stock(item_id):
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT %s + 1", (item_id,))
            (count,) = cur.fetchone()
    finally:
        conn.close()
    _cache.set("ddtrace-test:e2e:%d" % item_id, count)
    return jsonify(item=item_id, count=count, pid=os.getpid())
