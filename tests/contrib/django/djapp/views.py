"""Views of the test project."""
import asyncio

from django.core.cache import cache
from django.db import connections
from django.http import Http404
from django.http import HttpResponse
from django.http import JsonResponse
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.views import View

from .models import Book


def index(request):
    return HttpResponse("ok")


class BookView(View):
    def get(self, request, pk):
        book = Book.objects.filter(pk=pk).first()
        if book is None:
            raise Http404("no book %d" % pk)
        return JsonResponse({"id": book.pk, "title": book.title})


def rendered(request):
    return render(request, "book.html", {"title": "Dune", "year": 1965})


def template_response(request):
    return TemplateResponse(request, "book.html", {"title": "Emma", "year": 1815})


def cached(request):
    cache.set("greeting", "hello", 30)
    value = cache.get("greeting")
    cache.get_many(["greeting", "other"])
    cache.delete("greeting")
    return HttpResponse(value)


#: Raised by ``error``: tests check the client gets this very object.
ERROR = RuntimeError("the view failed")


def error(request):
    raise ERROR


def not_found(request):
    raise Http404("nothing here")


def postgres(request):
    with connections["pg"].cursor() as cursor:
        cursor.execute("select %s + 1", [41])
        (value,) = cursor.fetchone()
    return HttpResponse(str(value))


def whoami(request):
    return HttpResponse(getattr(request.user, "username", "") or "anonymous")


def legacy(request, slug):
    return HttpResponse(slug)


def named(request, name):
    return HttpResponse(name)


def stream(request):
    def chunks():
        yield b"a"
        yield b"b"

    return StreamingHttpResponse(chunks())


def uses_db(request):
    with connections["default"].cursor() as cursor:
        cursor.execute("select count(*) from djapp_book where id > %s", [0])
        (count,) = cursor.fetchone()
    return HttpResponse(str(count))


def bad_sql(request):
    with connections["default"].cursor() as cursor:
        cursor.execute("select * from no_such_table")
    return HttpResponse("unreachable")


def no_user(request):
    return HttpResponse("did not look at request.user")


class AsyncView(View):
    async def get(self, request):
        await asyncio.sleep(0)
        return HttpResponse("async class ok")


async def async_view(request):
    await asyncio.sleep(0)
    return HttpResponse("async ok")


async def async_error(request):
    await asyncio.sleep(0)
    raise ValueError("async view failed")
