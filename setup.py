"""Builds the Cython extensions: the span/trace hot path and the msgpack encoder.

Everything else about the package lives in pyproject.toml.
"""
import os

from setuptools import Extension
from setuptools import setup

EXTENSIONS = [
    "ddtrace.internal._queue",
    "ddtrace.trace._span",
    "ddtrace.internal._encoding",
]


def _extensions():
    from Cython.Build import cythonize

    # DDTRACE_BUILD_ONLY=ddtrace.internal._encoding rebuilds just that one (development);
    # =none builds none (scripts/matrix.py: its editable wheel, extensions built apart).
    only = os.environ.get("DDTRACE_BUILD_ONLY")
    names = [n for n in EXTENSIONS if not only or n in only.split(",")]
    exts = [Extension(name, [name.replace(".", os.sep) + ".pyx"], extra_compile_args=["-O2"]) for name in names]
    return cythonize(
        exts,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "embedsignature": True,
        },
        quiet=True,
    )


setup(ext_modules=_extensions())
