"""DD_REQUESTS_SPLIT_BY_DOMAIN=true: the service is host:port"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import requests
from _server import SPLIT_PORT
from _server import Server

server = Server(SPLIT_PORT)
requests.get(server.url("/a"))
server.stop()
