"""http.client: GET (query string with an api key), POST, a 404 and a 500 inside a request span; urllib.request outside any span"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import http.client
import urllib.request

from _server import Server

from ddtrace.trace import tracer

server = Server()
with tracer.trace("checkout", resource="POST /checkout"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", "/users/1?api_key=abc&page=2")
    conn.getresponse().read()
    conn.request("POST", "/orders", body=b'{"id": 1}', headers={"Content-Type": "application/json"})
    conn.getresponse().read()
    for code in (404, 500):
        conn.request("GET", "/status/%d" % code)
        resp = conn.getresponse()
        resp.read()
        print("STATUS", resp.status)
    conn.close()
with urllib.request.urlopen(server.url("/alone")) as resp:
    resp.read()
server.stop()
