import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

common.setup()

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()


class Response:
    status_code = None


async def get(path, headers=()):
    """Call the ASGI application directly (an HTTP client library would be traced too)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")] + [(k.encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent = False
    response = Response()

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)

    async def send(message):
        if message["type"] == "http.response.start":
            response.status_code = message["status"]

    await application(scope, receive, send)
    return response


async def main():
    common.show("async", await get("/async/", [("user-agent", "pypi-diff")]))
    common.show("book", await get("/books/1/"))
    common.show("async-class", await get("/async-class/"))
    common.show("async-error", await get("/async-error/"))
    common.show("no-route", await get("/nope/"))
    common.show("distributed", await get("/async/", [("x-datadog-trace-id", "777"), ("x-datadog-parent-id", "888")]))


asyncio.run(main())
