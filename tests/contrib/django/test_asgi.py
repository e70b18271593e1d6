"""The django integration under ASGI (``django.core.asgi.get_asgi_application``): an
httpx client on the ASGI application, and a real uvicorn server on 127.0.0.1."""
import asyncio
import threading

import django
import pytest

from tests.contrib.django.test_django import MIDDLEWARE_CALLS
from tests.contrib.django.test_django import named
from tests.contrib.django.test_django import root_of

httpx = pytest.importorskip("httpx")


@pytest.fixture
def asgi_app(patched):
    # A handler of its own: it loads the middleware chain while patched.
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def get(app, path, headers=None):
    async def go():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(path, headers=headers or {})

    return asyncio.run(go())


def test_async_view(asgi_app, spans):
    response = get(asgi_app, "/async/", {"user-agent": "asgi-client"})
    assert response.text == "async ok"
    got = spans()
    root = root_of(got)
    assert root.resource == "GET async/"
    assert root.get_tag("django.request.class") == "django.core.handlers.asgi.ASGIRequest"
    assert root.get_tag("http.url") == "http://testserver/async/"
    assert root.get_tag("http.useragent") == "asgi-client"
    assert root.get_tag("http.version") == "1.1"
    assert root.get_tag("asgi.version") == "3.0"
    assert root.get_tag("http.status_code") == "200"
    (view,) = named(got, "django.view")
    assert view.resource == "tests.contrib.django.djapp.views.async_view"
    calls = [s for s in named(got, "django.middleware") if s.resource.endswith(".__call__")]
    assert [s.resource for s in calls] == [m + ".__call__" for m in MIDDLEWARE_CALLS]
    for outer, inner in zip(calls, calls[1:]):
        assert inner.parent_id == outer.span_id
    # process_request/process_response run in a worker thread (sync_to_async) and
    # still belong to their middleware's span.
    hooks = {s.resource: s for s in named(got, "django.middleware")}
    assert hooks[MIDDLEWARE_CALLS[-1] + ".process_request"].parent_id == calls[-1].span_id
    assert all(s.trace_id == root.trace_id and s.duration_ns is not None for s in got)


def test_sync_view_and_query_in_a_worker_thread(asgi_app, spans, djconfig):
    djconfig(instrument_databases=True)
    response = get(asgi_app, "/books/1/")
    assert response.json() == {"id": 1, "title": "Dune"}
    got = spans()
    root = root_of(got)
    assert root.resource == "GET books/<int:pk>/"
    (handler,) = named(got, "django.view.get")
    query = [s for s in named(got, "sqlite.query") if "djapp_book" in s.resource]
    assert [q.parent_id for q in query] == [handler.span_id]


@pytest.mark.skipif(django.VERSION < (4, 1), reason="async class-based views need Django 4.1")
def test_async_class_based_view(asgi_app, spans):
    assert get(asgi_app, "/async-class/").text == "async class ok"
    got = spans()
    (dispatch,) = named(got, "django.view.dispatch")
    (handler,) = named(got, "django.view.get")
    assert handler.resource == "tests.contrib.django.djapp.views.AsyncView.get"
    assert handler.parent_id == dispatch.span_id
    assert handler.duration_ns is not None
    assert dispatch.start_ns + dispatch.duration_ns >= handler.start_ns + handler.duration_ns


def test_async_view_error(asgi_app, spans):
    assert get(asgi_app, "/async-error/").status_code == 500
    got = spans()
    root = root_of(got)
    assert root.error == 1
    assert root.get_tag("error.type") == "builtins.ValueError"
    assert root.get_tag("error.message") == "async view failed"
    (view,) = named(got, "django.view")
    assert view.error == 1


def test_not_found(asgi_app, spans):
    assert get(asgi_app, "/nope/").status_code == 404
    root = root_of(spans())
    assert root.resource == "GET 404"
    assert root.error == 0


def test_distributed_tracing(asgi_app, spans):
    get(asgi_app, "/async/", {"x-datadog-trace-id": "777", "x-datadog-parent-id": "888"})
    root = root_of(spans())
    assert root.trace_id == 777
    assert root.parent_id == 888


def test_concurrent_requests_keep_their_own_traces(asgi_app, spans):
    async def go():
        transport = httpx.ASGITransport(app=asgi_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await asyncio.gather(*(c.get("/async/") for _ in range(5)))

    assert [r.status_code for r in asyncio.run(go())] == [200] * 5
    got = spans()
    roots = named(got, "django.request")
    assert len(roots) == 5 and len({r.trace_id for r in roots}) == 5
    by_id = {s.span_id: s for s in got}
    for span in got:
        if span.parent_id:
            assert by_id[span.parent_id].trace_id == span.trace_id


def test_uvicorn_server(asgi_app, spans):
    uvicorn = pytest.importorskip("uvicorn")
    config = uvicorn.Config(asgi_app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        response = httpx.get("http://127.0.0.1:%d/books/1/" % port, headers={"x-datadog-trace-id": "99"})
        assert response.status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
    root = root_of(spans())
    assert root.trace_id == 99
    assert root.resource == "GET books/<int:pk>/"
    assert root.get_tag("http.url") == "http://127.0.0.1:%d/books/1/" % port
