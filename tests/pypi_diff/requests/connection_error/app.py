"""a refused connection: the span records requests' ConnectionError, which reaches the app"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import requests
from _server import closed_port

try:
    requests.get("http://127.0.0.1:%d/down" % closed_port())
except requests.exceptions.ConnectionError as e:
    print("RAISED", type(e).__name__)
