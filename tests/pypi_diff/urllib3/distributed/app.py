"""the trace headers the server receives; headers the caller set itself"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import urllib3
from _server import Server

from ddtrace.trace import tracer

server = Server()
pool = urllib3.PoolManager()
with tracer.trace("checkout"):
    pool.request("GET", server.url("/dt"))
server.print_trace_headers("SENT")
pool.request("GET", server.url("/own"), headers={"x-datadog-trace-id": "42", "x-datadog-parent-id": "7"})
server.print_trace_headers("OWN")
server.stop()
