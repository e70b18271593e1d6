"""a refused connection: ConnectionRefusedError reaches the app"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import http.client

from _server import closed_port

try:
    http.client.HTTPConnection("127.0.0.1", closed_port()).request("GET", "/down")
except ConnectionRefusedError as e:
    print("RAISED", type(e).__name__)
