"""A small Django project the django integration is tested with.

Importable as ``tests.contrib.django.djapp`` (the test suite) or as a top-level
``djapp`` package (programs run under the PyPI tracer to compare output): every
dotted name in the settings is built from this package's own name.
"""
