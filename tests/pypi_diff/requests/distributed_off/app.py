"""DD_REQUESTS_DISTRIBUTED_TRACING=false: no trace headers sent"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import requests
from _server import Server

server = Server()
requests.get(server.url("/dt"))
server.print_trace_headers("SENT")
server.stop()
