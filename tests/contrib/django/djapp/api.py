"""Django REST framework views of the test project."""
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework import viewsets
from rest_framework.exceptions import APIException
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title"]


class BookViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all().order_by("id")
    serializer_class = BookSerializer
    authentication_classes = []
    permission_classes = []


class BugView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise ValueError("a bug in the API view")


class MissingView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise NotFound("no such thing")


class ForbiddenView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise PermissionDenied()


class HelloView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        return Response({"hello": "world"})


class ServerErrorView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise APIException("the backend is down")


@api_view(["GET"])
def hello_function(request):
    return Response({"hello": "function"})
