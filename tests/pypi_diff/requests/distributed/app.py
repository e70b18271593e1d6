"""the trace headers the server receives; headers the caller set itself"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import requests
from _server import Server

from ddtrace.trace import tracer

server = Server()
with tracer.trace("checkout"):
    requests.get(server.url("/dt"))
server.print_trace_headers("SENT")
requests.get(server.url("/own"), headers={"x-datadog-trace-id": "42", "x-datadog-parent-id": "7"})
server.print_trace_headers("OWN")
server.stop()
