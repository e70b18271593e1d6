"""DD_HTTPLIB_SPLIT_BY_DOMAIN=true"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import http.client

from _server import SPLIT_PORT
from _server import Server

server = Server(SPLIT_PORT)
conn = http.client.HTTPConnection("127.0.0.1", server.port)
conn.request("GET", "/a")
conn.getresponse().read()
conn.close()
server.stop()
