"""a refused connection with urllib3's default retries: MaxRetryError reaches the app"""
import os
import sys

# The three HTTP clients share one test server (tests/pypi_diff/requests/_server.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "requests"))
import urllib3
from _server import closed_port

try:
    urllib3.PoolManager().request("GET", "http://127.0.0.1:%d/down" % closed_port())
except urllib3.exceptions.MaxRetryError as e:
    print("RAISED", type(e).__name__)
