"""DD_HTTPLIB_DISTRIBUTED_TRACING=false: no trace headers sent"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import http.client

from _server import Server

server = Server()
conn = http.client.HTTPConnection("127.0.0.1", server.port)
conn.request("GET", "/dt")
conn.getresponse().read()
server.print_trace_headers("SENT")
conn.close()
server.stop()
