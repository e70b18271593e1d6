import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

common.setup()

from django.db import connections  # noqa: E402
from django.db import transaction  # noqa: E402
from django.template import Context  # noqa: E402
from django.template import Engine  # noqa: E402
from django.test import Client  # noqa: E402

from djapp.models import Book  # noqa: E402

c = Client(raise_request_exception=False)
common.show("book", c.get("/books/1/"))
common.show("render", c.get("/render/"))
common.show("cache", c.get("/cache/"))
common.show("no-route", c.get("/nope/"))
common.show("pg", c.get("/pg/"))
common.show("bad-sql", c.get("/bad-sql/"))

# Outside a request: a transaction on each database, then a template from a string.
with transaction.atomic():
    Book.objects.create(title="Emma")
with transaction.atomic(using="pg"):
    with connections["pg"].cursor() as cursor:
        cursor.execute("select 1")
from django.core.cache import cache  # noqa: E402

cache.add("counter", 1)
cache.incr("counter")
cache.decr("counter")
print("RESULT get_or_set", cache.get_or_set("made", "value"), cache.get_or_set("made", "other"))
print("RESULT has_key", cache.has_key("counter"), cache.has_key("missing"))
cache.set_many({"a": 1, "b": 2})
print("RESULT get_many", sorted(cache.get_many(["a", "b", "c"])))
cache.touch("a")
cache.delete_many(["a", "b"])
print("RESULT get-default", cache.get("a", "default"))
cache.clear()
print("RESULT string-template", Engine().from_string("{{ x }}!").render(Context({"x": 1})))
