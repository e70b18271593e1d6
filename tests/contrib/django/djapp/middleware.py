"""Middleware of the test project: one with every old-style hook, one plain function."""
from django.http import HttpResponse
from django.utils.deprecation import MiddlewareMixin


MIDDLEWARE_ERROR = LookupError("raised by a middleware")


class HooksMiddleware(MiddlewareMixin):
    def process_request(self, request):
        if request.path == "/short-circuit/":
            return HttpResponse("answered by middleware")
        if request.path == "/mw-error/":
            raise MIDDLEWARE_ERROR
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        return None

    def process_exception(self, request, exception):
        return None

    def process_template_response(self, request, response):
        return response

    def process_response(self, request, response):
        response["X-Hooks"] = "1"
        return response


def function_middleware(get_response):
    def middleware(request):
        return get_response(request)

    return middleware
