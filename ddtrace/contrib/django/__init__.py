"""Traces `Django <https://www.djangoproject.com>`_ applications (Django 3.2 to 5.2)
and `Django REST framework <https://www.django-rest-framework.org>`_ views.

Enabled by default under ``ddtrace-run`` and ``import ddtrace.auto``; in code, before
Django is imported::

    import ddtrace

    ddtrace.patch(django=True)

Nothing goes into ``INSTALLED_APPS`` or ``MIDDLEWARE``: WSGI, ASGI
(``django.core.asgi.get_asgi_application``) and the test clients are all traced.

What a request produces
-----------------------

``django.request``
    The server span (type ``web``, ``span.kind=server``, ``component=django``). Its
    resource is the method and the URL pattern the request resolved to, as in
    ``GET books/<int:pk>/`` (the route without its leading slash; the URLconf's root
    pattern is reported as ``^/``); a request that resolved to no view (a 404, or a
    response from a middleware before URL resolution) is ``GET 404`` (``<METHOD>
    <status>``). Tags: ``http.method``, ``http.url`` (query string obfuscated, see
    :mod:`ddtrace.contrib.trace_utils`), ``http.route``, ``http.status_code``,
    ``http.useragent``, the header tags of ``DD_TRACE_HEADER_TAGS``,
    ``django.view`` (the URL name, else the view's dotted path),
    ``django.request.class``, ``django.response.class``,
    ``django.response.template`` (template responses), and under ASGI
    ``http.version`` and ``asgi.version``. A status in
    ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES`` (default 500-599) marks it as an error,
    with the type, message and stack of the exception the response stands for.
``django.middleware``
    One span for each middleware call (resource ``<path.Class>.__call__``, or the
    factory's path for function middleware) and one for each of its hooks
    (``<path.Class>.process_request``, ``process_view``, ``process_exception``,
    ``process_template_response``, ``process_response``), nested as Django runs them.
``django.view``
    The view the URL resolved to (resource: ``<module>.<name>`` of the URLconf's
    callback; a view function of ``View.as_view()`` is named after its class). A
    function made by ``View.as_view()`` while patched makes a ``django.view`` span of
    its own, named after its class: Django REST framework's ``APIView.as_view()``
    returns it behind ``csrf_exempt``, so an ``APIView`` has two nested ``django.view``
    spans (the callback's, ``myapp.api.view``, and the class's, ``myapp.api.BookList``).
    Class-based views add ``django.view.setup``, ``django.view.dispatch`` and the
    handler of the HTTP method: ``django.view.get``... (resource
    ``<path.Class>.<handler>``, e.g. ``myapp.views.BookView.get``). Django REST
    framework's viewsets bind their actions in their own view function: they have
    ``django.view.dispatch`` but no setup or handler span.
Database queries
    With ``instrument_databases``: a ``<driver>.query`` span per query through
    Django's cursors (``sqlite.query``, ``postgres.query``, ``mysql.query``...) whose
    resource is the SQL as Django sends it (``%s`` placeholders), on the service
    ``<alias>db`` (``defaultdb``), with ``django.db.vendor``, ``django.db.alias``,
    ``db.system``, ``db.name``, ``db.user``, ``out.host`` and
    ``network.destination.port``. When the driver has its own integration enabled
    (``sqlite3``, ``psycopg``...), its spans are kept instead and get the
    ``django.db.*`` tags: one span per query either way, and the driver's
    ``<driver>.connection.commit`` / ``rollback`` spans and the queries Django makes to
    set a new connection up are tagged too.
``django.cache``
    With ``instrument_caches``: a span per call of ``get``, ``set``, ``add``,
    ``delete``, ``get_many``, ``set_many``, ``delete_many``, ``incr`` and ``decr`` of a
    cache backend (type ``cache``), resource ``<backend module>.<method>`` (``django.core.cache.backends.locmem.get``), tags
    ``django.cache.backend`` and ``django.cache.key`` (several keys separated by
    spaces, cut at 300 characters), the metric ``db.row_count`` (the values a ``get``
    or ``get_many`` found, 0 for the other calls), service ``django``.
``django.template.render``
    With ``instrument_templates``: a span per rendered template, included ones too
    (type ``template``, resource and ``django.template.name`` the template's name,
    ``django.template.engine.class``). A template made from a string has no name: its
    resource is the method, ``django.template.base.Template.render``.

Exceptions reach your code (and Django's own handling) unchanged, and mark every span
they leave, whatever status Django answers them with (an ``Http404`` raised by a view
marks ``django.view``, ``django.view.dispatch`` and ``django.view.get``). Django REST
framework answers its exceptions inside ``dispatch``: ``django.view.dispatch`` records
the exception it answered (a ``ValidationError`` too). The ``django.request`` span is an
error only for a status in ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES``; it then records
the exception the response stands for, when there is one.

The authenticated user is tagged (``django.user.is_authenticated``,
``django.user.id``, ``usr.id``) when the application loaded ``request.user`` during
the request; the tracer never loads it itself (that would cost queries), except that a
request without a session cookie is known to be anonymous
(``django.user.is_authenticated=False``). The user name is tagged only when
``include_user_name`` is on.

Incoming distributed tracing headers continue the caller's trace, unless the request
runs inside an active span already (an outer WSGI/ASGI middleware, for instance).

Settings
--------

Set them in the environment, or in code before Django is imported
(``config.django["instrument_caches"] = True``).

``DD_SERVICE`` / ``DD_DJANGO_SERVICE`` (``config.django["service"]``)
    Service of the request, middleware, view and template spans (default: ``DD_SERVICE``,
    else ``django``).
``DD_DJANGO_DISTRIBUTED_TRACING`` (``config.django["distributed_tracing"]``)
    Continue traces from incoming headers (default true). The older key
    ``distributed_tracing_enabled`` is honoured too.
``DD_DJANGO_TRACING_MINIMAL``
    Default true: database, cache and template spans are off, leaving queries and cache
    calls to the drivers' and clients' own integrations. ``false`` turns the three on.
``DD_DJANGO_INSTRUMENT_MIDDLEWARE`` (``instrument_middleware``)
    Middleware spans (default true). Read when Django loads its middleware.
``DD_DJANGO_INSTRUMENT_DATABASES`` / ``DD_DJANGO_INSTRUMENT_CACHES`` / ``DD_DJANGO_INSTRUMENT_TEMPLATES``
    (``instrument_databases``, ``instrument_caches``, ``instrument_templates``)
    Each group of spans on or off; default: the opposite of ``DD_DJANGO_TRACING_MINIMAL``.
``DD_DJANGO_DATABASE_SERVICE_NAME`` (``database_service_name``)
    One service for every database alias (default: ``<prefix><alias>db``).
``DD_DJANGO_DATABASE_SERVICE_NAME_PREFIX`` (``database_service_name_prefix``)
    Prefix of the per-alias database services (default empty).
``DD_DJANGO_TRACE_FETCH_METHODS`` (``trace_fetch_methods``)
    Also trace ``fetchone`` / ``fetchmany`` / ``fetchall`` of Django's cursors (default false).
``DD_DJANGO_CACHE_SERVICE_NAME`` (``cache_service_name``)
    Service of the cache spans (default ``django``).
``DD_DJANGO_INCLUDE_USER_NAME`` (``include_user_name``)
    Tag ``django.user.name`` with the authenticated user's name (default false: user
    names are personal data).
``DD_DJANGO_USE_HANDLER_RESOURCE_FORMAT`` (``use_handler_resource_format``)
    Resource ``<METHOD> <view dotted path>`` instead of the route.
``DD_DJANGO_USE_LEGACY_RESOURCE_FORMAT`` (``use_legacy_resource_format``)
    Resource ``<view dotted path>`` alone.
``DD_DJANGO_TRACE_QUERY_STRING`` (``trace_query_string``)
    Keep the query string in ``http.url`` (default: ``DD_HTTP_SERVER_TAG_QUERY_STRING``).
``DD_TRACE_DJANGO_ENABLED``
    ``false`` leaves Django untraced.

Notes
-----

Differences from PyPI ``ddtrace``: a request answered before URL resolution (by a
middleware) has the resource ``<METHOD> <status>`` (``GET 200`` for a health check
answered by a middleware), where PyPI ``ddtrace`` says ``GET 404`` whatever the status;
a ``django.request`` span that is an error carries the ``error.*`` tags of the
exception its 500 response stands for; ``django.user.is_authenticated`` is left out
when telling would load the user; a cache ``get`` that missed and returned the
caller's default counts ``db.row_count=0`` (PyPI ``ddtrace``: 1); the handler of an
``async`` class-based view is a child of ``django.view.dispatch``, which lasts until
the handler is done (PyPI ``ddtrace`` ends the view and dispatch spans when they return
the coroutine, and the handler's span is their sibling).

Patching after Django is imported works, but a handler that already loaded its
middleware (a WSGI application created before ``patch()``) has no middleware spans,
and the view functions of a URLconf imported before have no span of their own
(an ``APIView`` then has one ``django.view`` span).

The ``django.request`` span ends when Django hands the response to the server: the
sending of a streamed body (``StreamingHttpResponse``, ``FileResponse``) is not in it.
Wrap the WSGI or ASGI application in :class:`ddtrace.contrib.wsgi.DDWSGIMiddleware` or
:class:`ddtrace.contrib.asgi.TraceMiddleware` to time it; ``django.request`` then
becomes a child of their server span.
"""
