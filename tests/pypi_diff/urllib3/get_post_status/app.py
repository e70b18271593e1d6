"""PoolManager: GET (query string with a password, Retry(total=2)), POST, a 404 and a 500 inside a request span; a GET outside any span"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import urllib3
from _server import Server

from ddtrace.trace import tracer

server = Server()
pool = urllib3.PoolManager()
with tracer.trace("checkout", resource="POST /checkout"):
    pool.request("GET", server.url("/items?password=hunter2&page=2"), retries=urllib3.Retry(total=2))
    pool.request("POST", server.url("/orders"), body=b'{"id": 1}', headers={"Content-Type": "application/json"})
    print("STATUS", pool.request("GET", server.url("/status/404")).status)
    print("STATUS", pool.request("GET", server.url("/status/500")).status)
pool.request("GET", server.url("/alone"))
server.stop()
