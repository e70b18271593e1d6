"""requests and urllib3 both traced: the urllib3 span under the requests span, and which one the server sees as its parent"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import requests
from _server import Server

server = Server()
requests.get(server.url("/nested"))
server.print_trace_headers("SENT")
server.stop()
