"""Django REST framework views under the django integration: spans nested as PyPI
ddtrace nests them."""
import django
import pytest

from tests.contrib.django.test_django import named
from tests.contrib.django.test_django import root_of

pytest.importorskip("rest_framework")

API = "tests.contrib.django.djapp.api."
# APIView.as_view() returns Django's view function behind csrf_exempt, which keeps the
# function's name: "view" (Django 3.2 named it after the class).
API_VIEW_FUNCTION = API + ("view" if django.VERSION >= (4, 0) else "{}")


def children(got, parent):
    return [s for s in got if s.parent_id == parent.span_id]


def test_viewset_list(client, spans):
    response = client.get("/api/books/")
    assert response.status_code == 200
    got = spans()
    root = root_of(got)
    assert root.resource == "GET api/books/$"
    assert root.get_tag("http.route") == "api/books/$"
    assert root.get_tag("django.view") == "book-list"
    assert root.get_tag("django.response.class") == "rest_framework.response.Response"
    # The viewset's own view function binds the action: no setup, no handler span.
    (view,) = named(got, "django.view")
    assert view.resource == API + "BookViewSet"
    (dispatch,) = children(got, view)
    assert dispatch.name == "django.view.dispatch"
    assert dispatch.resource == "rest_framework.views.APIView.dispatch"
    assert children(got, dispatch) == []
    assert [s for s in got if s.name.startswith("django.view.") and s.name != "django.view.dispatch"] == []
    assert [s for s in got if s.error] == []


def test_viewset_create(client, spans):
    response = client.post("/api/books/", {"title": "Emma"}, content_type="application/json")
    assert response.status_code == 201
    got = spans()
    root = root_of(got)
    assert root.resource == "POST api/books/$"
    assert root.get_tag("http.status_code") == "201"
    (view,) = named(got, "django.view")
    assert [s.name for s in children(got, view)] == ["django.view.dispatch"]
    from tests.contrib.django.djapp.models import Book

    Book.objects.filter(title="Emma").delete()


def test_viewset_validation_error_is_recorded_on_dispatch(client, spans):
    response = client.post("/api/books/", {}, content_type="application/json")
    assert response.status_code == 400
    got = spans()
    root = root_of(got)
    assert root.get_tag("http.status_code") == "400"
    assert root.error == 0 and root.get_tag("error.type") is None
    (dispatch,) = named(got, "django.view.dispatch")
    assert dispatch.error == 1
    assert dispatch.get_tag("error.type") == "rest_framework.exceptions.ValidationError"
    assert "This field is required." in dispatch.get_tag("error.message")
    assert "is_valid" in dispatch.get_tag("error.stack")
    assert [s for s in got if s.error] == [dispatch]


def test_api_view(client, spans):
    assert client.get("/api/hello/").status_code == 200
    got = spans()
    root = root_of(got)
    assert root.resource == "GET api/hello/"
    assert root.get_tag("django.view") == API + "HelloView"
    # The URLconf's callback (csrf_exempt's function), then the class's view function.
    outer, inner = named(got, "django.view")
    assert outer.resource == API_VIEW_FUNCTION.format("HelloView")
    assert inner.resource == API + "HelloView"
    assert inner.parent_id == outer.span_id
    setup, dispatch = children(got, inner)
    assert (setup.name, setup.resource) == ("django.view.setup", "django.views.generic.base.View.setup")
    assert (dispatch.name, dispatch.resource) == ("django.view.dispatch", "rest_framework.views.APIView.dispatch")
    (handler,) = children(got, dispatch)
    assert (handler.name, handler.resource) == ("django.view.get", API + "HelloView.get")
    assert [s for s in got if s.error] == []


def test_api_view_decorated_function(client, spans):
    assert client.get("/api/hello-function/").status_code == 200
    got = spans()
    root = root_of(got)
    # api_view makes a class named after the function.
    assert root.get_tag("django.view") == API + "hello_function"
    outer, inner = named(got, "django.view")
    assert outer.resource == API_VIEW_FUNCTION.format("hello_function")
    assert inner.resource == API + "hello_function"
    (handler,) = named(got, "django.view.get")
    assert handler.resource == API + "hello_function.get"


@pytest.mark.parametrize(
    "path, status, error_type",
    [
        ("/api/missing/", 404, "rest_framework.exceptions.NotFound"),
        ("/api/forbidden/", 403, "rest_framework.exceptions.PermissionDenied"),
    ],
)
def test_client_errors_mark_the_view_spans_not_the_request(client, spans, path, status, error_type):
    assert client.get(path).status_code == status
    got = spans()
    root = root_of(got)
    assert root.get_tag("http.status_code") == str(status)
    assert root.error == 0 and root.get_tag("error.type") is None
    # Raised by the handler, answered by dispatch.
    assert [s.name for s in got if s.error] == ["django.view.dispatch", "django.view.get"]
    assert {s.get_tag("error.type") for s in got if s.error} == {error_type}


def test_missing_object_of_a_viewset(client, spans):
    assert client.get("/api/books/999/").status_code == 404
    got = spans()
    root = root_of(got)
    assert root.resource == "GET api/books/(?P<pk>[^/.]+)/$"
    assert root.error == 0
    (dispatch,) = [s for s in got if s.error]
    assert dispatch.name == "django.view.dispatch"
    assert dispatch.get_tag("error.type") == "django.http.response.Http404"


def test_bug_in_an_api_view(client, spans):
    with pytest.raises(ValueError, match="a bug in the API view"):
        client.get("/api/bug/")
    got = spans()
    root = root_of(got)
    assert root.resource == "GET api/bug/"
    assert root.error == 1
    assert root.get_tag("http.status_code") == "500"
    assert root.get_tag("error.type") == "builtins.ValueError"
    assert root.get_tag("error.message") == "a bug in the API view"
    assert root.get_tag("django.view") == API + "BugView"
    (handler,) = named(got, "django.view.get")
    assert handler.error == 1
    # DRF re-raises what it cannot answer: every span it leaves records it.
    failed = {s.name for s in got if s.error}
    assert failed == {"django.request", "django.view", "django.view.dispatch", "django.view.get"}


def test_api_exception_answered_by_drf(client, spans):
    response = client.get("/api/server-error/")
    assert response.status_code == 500
    assert response.json() == {"detail": "the backend is down"}
    got = spans()
    root = root_of(got)
    assert root.error == 1
    assert root.get_tag("error.type") == "rest_framework.exceptions.APIException"
    assert root.get_tag("error.message") == "the backend is down"
    (dispatch,) = named(got, "django.view.dispatch")
    assert dispatch.get_tag("error.type") == "rest_framework.exceptions.APIException"
