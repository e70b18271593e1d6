"""DD_URLLIB3_SPLIT_BY_DOMAIN=true: the service is host:port"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import urllib3
from _server import SPLIT_PORT
from _server import Server

server = Server(SPLIT_PORT)
urllib3.PoolManager().request("GET", server.url("/a"))
server.stop()
