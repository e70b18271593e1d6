"""The test matrix.

Written in riot's vocabulary (``Venv`` trees with ``pys``, ``pkgs``, ``env`` and a
``command``) so the layout is familiar; ``scripts/matrix.py`` runs it without needing
riot itself installed. Leaves inherit ``pys``, ``pkgs``, ``env`` and ``command`` from
their parents.
"""
try:
    from riot import Venv, latest  # noqa: F401
except ImportError:  # the matrix runner ships its own minimal Venv
    from scripts.venv_spec import Venv, latest  # noqa: F401

ALL_PYS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
INTEGRATION_PY = ["3.11"]

venv = Venv(
    pkgs={"pytest": latest, "hypothesis": latest, "gunicorn": latest},
    env={"DD_TRACE_STARTUP_LOGS": "false"},
    venvs=[
        Venv(
            name="core",
            pys=ALL_PYS,
            command="pytest {cmdargs} tests/trace tests/propagation tests/internal tests/settings tests/commands",
        ),
    ],
)
