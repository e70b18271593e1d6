import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

common.setup()

from django.test import Client  # noqa: E402

c = Client(raise_request_exception=False)
common.show("list", c.get("/api/books/"))
common.show("retrieve", c.get("/api/books/1/"))
common.show("retrieve-missing", c.get("/api/books/999/"))
common.show("create", c.post("/api/books/", {"title": "Emma"}, content_type="application/json"))
common.show("create-invalid", c.post("/api/books/", {}, content_type="application/json"))
common.show("hello", c.get("/api/hello/"))
common.show("hello-function", c.get("/api/hello-function/"))
common.show("not-found", c.get("/api/missing/"))
common.show("forbidden", c.get("/api/forbidden/"))
common.show("server-error", c.get("/api/server-error/"))
common.show("bug", c.get("/api/bug/"))
