"""DD_URLLIB3_DISTRIBUTED_TRACING=false: no trace headers sent"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import urllib3
from _server import Server

server = Server()
urllib3.PoolManager().request("GET", server.url("/dt"))
server.print_trace_headers("SENT")
server.stop()
