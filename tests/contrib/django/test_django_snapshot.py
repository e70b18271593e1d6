"""Snapshots of the django integration's spans, sent through the test agent."""
import asyncio

import django
import pytest


@pytest.fixture
def full_tracing(djconfig):
    # DD_DJANGO_TRACING_MINIMAL=false
    djconfig(instrument_databases=True, instrument_caches=True, instrument_templates=True)


@pytest.mark.snapshot(ignores=["meta.db.name"])
def test_django_requests(client, full_tracing):
    assert client.get("/books/1/?page=2", HTTP_USER_AGENT="snapshot-client").status_code == 200
    assert client.get("/render/").status_code == 200
    assert client.get("/cache/").status_code == 200
    assert client.get("/nope/").status_code == 404
    with pytest.raises(RuntimeError):
        client.get(
            "/error/",
            HTTP_X_DATADOG_TRACE_ID="1234",
            HTTP_X_DATADOG_PARENT_ID="5678",
            HTTP_X_DATADOG_SAMPLING_PRIORITY="1",
        )


# Django 3.2 names the function of View.as_view() after its class, so the URLconf
# callback of an APIView (that function behind csrf_exempt) has another resource there.
@pytest.mark.snapshot(
    name=None
    if django.VERSION >= (4, 0)
    else "tests.contrib.django.test_django_snapshot.test_restframework_requests.django3"
)
def test_restframework_requests(client):
    pytest.importorskip("rest_framework")
    assert client.get("/api/missing/").status_code == 404
    assert client.get("/api/server-error/").status_code == 500
    assert client.post("/api/books/", {}, content_type="application/json").status_code == 400


@pytest.mark.snapshot
def test_asgi_request(patched):
    httpx = pytest.importorskip("httpx")
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()

    async def go():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/async/", headers={"user-agent": "snapshot-client"})

    assert asyncio.run(go()).status_code == 200
