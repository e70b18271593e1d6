import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

common.setup()

from django.test import Client  # noqa: E402

c = Client(raise_request_exception=False)
common.show("index", c.get("/"))
common.show("book", c.get("/books/1/", {"page": "2"}, HTTP_USER_AGENT="pypi-diff"))
common.show("missing-book", c.get("/books/99/"))
common.show("head-book", c.head("/books/1/"))
common.show("legacy", c.get("/legacy/abc/"))
common.show("nested", c.get("/nested/inner/zz/"))
common.show("no-route", c.get("/no/such/page/"))
common.show("short-circuit", c.post("/short-circuit/"))
common.show("template-response", c.get("/template-response/"))
common.show("stream", c.get("/stream/"))
common.show("async", c.get("/async/"))
common.show("db", c.get("/db/"))
common.show("error", c.get("/error/"))
common.show(
    "distributed",
    c.get("/", HTTP_X_DATADOG_TRACE_ID="1234", HTTP_X_DATADOG_PARENT_ID="5678", HTTP_X_DATADOG_SAMPLING_PRIORITY="1"),
)
