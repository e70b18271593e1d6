"""GET (query string with a token), POST, a 404 and a 500 inside a request span; a GET outside any span"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import requests
from _server import Server

from ddtrace.trace import tracer

server = Server()
with tracer.trace("checkout", resource="POST /checkout"):
    requests.get(server.url("/users/1?token=abc&page=2"))
    requests.post(server.url("/orders"), json={"id": 1})
    print("STATUS", requests.get(server.url("/status/404")).status_code)
    print("STATUS", requests.get(server.url("/status/500")).status_code)
requests.get(server.url("/alone"))
server.stop()
