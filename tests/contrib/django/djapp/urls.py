import django
from django.urls import include
from django.urls import path
from django.urls import re_path

from . import views
from .settings import HAVE_DRF

urlpatterns = [
    path("", views.index, name="index"),
    path("books/<int:pk>/", views.BookView.as_view(), name="book"),
    path("render/", views.rendered),
    path("template-response/", views.template_response),
    path("cache/", views.cached),
    path("error/", views.error),
    path("notfound/", views.not_found),
    path("pg/", views.postgres),
    path("whoami/", views.whoami),
    re_path(r"^legacy/(?P<slug>[a-z]+)/$", views.legacy),
    path("stream/", views.stream),
    path("async/", views.async_view),
    path("async-error/", views.async_error),
    path("db/", views.uses_db),
    path("bad-sql/", views.bad_sql),
    path("no-user/", views.no_user),
    path("nested/", include([path("inner/<str:name>/", views.named, name="named")])),
]

if django.VERSION >= (4, 1):  # async handlers on class-based views
    urlpatterns.append(path("async-class/", views.AsyncView.as_view()))

if HAVE_DRF:
    from rest_framework import routers

    from . import api

    router = routers.DefaultRouter()
    router.register(r"books", api.BookViewSet)
    urlpatterns += [
        path("api/", include(router.urls)),
        path("api/bug/", api.BugView.as_view()),
        path("api/missing/", api.MissingView.as_view()),
        path("api/forbidden/", api.ForbiddenView.as_view()),
        path("api/hello/", api.HelloView.as_view()),
        path("api/hello-function/", api.hello_function),
        path("api/server-error/", api.ServerErrorView.as_view()),
    ]
