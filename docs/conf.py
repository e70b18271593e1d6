"""Sphinx configuration for the ddtrace documentation.

Build with ``make docs`` (``sphinx-build -W --keep-going -b html docs docs/_build/html``)
from the development venv, where the package is installed. Nothing here reaches the
network; the theme is Sphinx's built-in alabaster.
"""
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
# The small extension that renders the DD_* tables from the envier declarations.
sys.path.insert(0, os.path.join(_here, "_ext"))
# Document the working tree even when it is not the installed copy.
sys.path.insert(0, os.path.dirname(_here))

from ddtrace.version import __version__  # noqa: E402
from ddtrace.contrib import _registry  # noqa: E402

# The integrations pages are generated from the registry, never written by hand.
_registry.write_docs(_here)

project = "ddtrace"
author = "ddtrace contributors"
copyright = "ddtrace contributors"
version = ".".join(__version__.split(".")[:2])
release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "ddtrace_env_table",
]

exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
templates_path = []
html_static_path = []

html_theme = "alabaster"
html_theme_options = {
    "description": "A low-overhead tracer for Python",
    "fixed_sidebar": True,
}
html_title = "ddtrace %s" % release

autodoc_default_options = {
    "members": True,
    "undoc-members": False,
    "show-inheritance": False,
}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autoclass_content = "both"

napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Sphinx must never try to fetch an inventory or image.
intersphinx_mapping = {}
