"""the trace headers the server receives; headers the caller set itself"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import http.client

from _server import Server

from ddtrace.trace import tracer

server = Server()
conn = http.client.HTTPConnection("127.0.0.1", server.port)
with tracer.trace("checkout"):
    conn.request("GET", "/dt")
    conn.getresponse().read()
server.print_trace_headers("SENT")
conn.request("GET", "/own", headers={"x-datadog-trace-id": "42", "x-datadog-parent-id": "7"})
conn.getresponse().read()
server.print_trace_headers("OWN")
conn.close()
server.stop()
