"""Django REST framework views under the django integration."""
import pytest

from tests.contrib.django.test_django import named
from tests.contrib.django.test_django import root_of

pytest.importorskip("rest_framework")


def test_viewset_list(client, memtracer):
    response = client.get("/api/books/")
    assert response.status_code == 200
    spans = memtracer.spans()
    root = root_of(spans)
    assert root.resource == "GET api/books/$"
    assert root.get_tag("http.route") == "api/books/$"
    assert root.get_tag("django.view") == "book-list"
    assert root.get_tag("django.response.class") == "rest_framework.response.Response"
    (view,) = named(spans, "django.view")
    assert view.resource == "tests.contrib.django.djapp.api.BookViewSet"
    (dispatch,) = named(spans, "django.view.dispatch")
    assert dispatch.resource == "rest_framework.views.APIView.dispatch"
    assert dispatch.parent_id == view.span_id
    (handler,) = named(spans, "django.view.get")
    assert handler.resource == "tests.contrib.django.djapp.api.BookViewSet.list"
    assert handler.parent_id == dispatch.span_id


def test_viewset_create(client, memtracer):
    response = client.post("/api/books/", {"title": "Emma"}, content_type="application/json")
    assert response.status_code == 201
    spans = memtracer.spans()
    root = root_of(spans)
    assert root.resource == "POST api/books/$"
    assert root.get_tag("http.status_code") == "201"
    (handler,) = named(spans, "django.view.post")
    assert handler.resource == "tests.contrib.django.djapp.api.BookViewSet.create"
    from tests.contrib.django.djapp.models import Book

    Book.objects.filter(title="Emma").delete()


@pytest.mark.parametrize(
    "path, status",
    [("/api/books/999/", 404), ("/api/missing/", 404), ("/api/forbidden/", 403)],
)
def test_client_errors_are_not_errors(client, memtracer, path, status):
    assert client.get(path).status_code == status
    spans = memtracer.spans()
    root = root_of(spans)
    assert root.get_tag("http.status_code") == str(status)
    assert [s for s in spans if s.error] == []
    assert root.get_tag("error.type") is None


def test_bug_in_an_api_view(client, memtracer):
    with pytest.raises(ValueError, match="a bug in the API view"):
        client.get("/api/bug/")
    spans = memtracer.spans()
    root = root_of(spans)
    assert root.resource == "GET api/bug/"
    assert root.error == 1
    assert root.get_tag("http.status_code") == "500"
    assert root.get_tag("error.type") == "builtins.ValueError"
    assert root.get_tag("error.message") == "a bug in the API view"
    assert root.get_tag("django.view") == "tests.contrib.django.djapp.api.BugView"
    (handler,) = named(spans, "django.view.get")
    assert handler.error == 1


def test_api_exception_answered_by_drf(client, memtracer):
    response = client.get("/api/server-error/")
    assert response.status_code == 500
    assert response.json() == {"detail": "the backend is down"}
    root = root_of(memtracer.spans())
    assert root.error == 1
    assert root.get_tag("error.type") == "rest_framework.exceptions.APIException"
    assert root.get_tag("error.message") == "the backend is down"
