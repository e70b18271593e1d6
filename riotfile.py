"""The test matrix.

Written in riot's vocabulary (``Venv`` trees with ``pys``, ``pkgs``, ``env`` and a
``command``) so the layout is familiar; ``scripts/matrix.py`` runs it without needing
riot itself installed. Leaves inherit ``pys``, ``pkgs``, ``env`` and ``command`` from
their parents. Integration suites run on CPython 3.11 against the oldest and the newest
library versions they support.
"""
try:
    from riot import Venv, latest  # noqa: F401
except ImportError:  # the matrix runner ships its own minimal Venv
    from scripts.venv_spec import Venv, latest  # noqa: F401

ALL_PYS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
INTEGRATION_PY = ["3.11"]
# Suites with the same Python and packages share one venv (scripts/matrix.py).
BASE_PKGS = {"gunicorn": latest, "requests": latest, "urllib3": latest, "packaging": latest, "import-linter": latest}

venv = Venv(
    pkgs={"pytest": latest, "hypothesis": latest},
    env={"DD_TRACE_STARTUP_LOGS": "false"},
    venvs=[
        Venv(
            name="core",
            pys=ALL_PYS,
            pkgs=BASE_PKGS,
            command="pytest {cmdargs} tests/trace tests/propagation tests/internal tests/settings tests/utils",
        ),
        Venv(
            name="framework",
            pys=ALL_PYS,
            pkgs=BASE_PKGS,
            command="pytest {cmdargs} tests/contrib/test_monkey.py tests/bootstrap tests/commands tests/test_layers.py "
            "tests/test_matrix.py",
        ),
        Venv(
            name="contrib-stdlib",
            pys=ALL_PYS,
            pkgs=BASE_PKGS,
            command="pytest {cmdargs} tests/contrib/httplib tests/contrib/futures tests/contrib/asyncio "
            "tests/contrib/logging tests/contrib/sqlite3 tests/contrib/dbapi tests/contrib/trace_utils "
            "tests/contrib/wsgi",
        ),
        Venv(
            name="contrib-asgi",
            pys=INTEGRATION_PY,
            pkgs={"uvicorn": latest, "httpx": latest, "websockets": latest},
            command="pytest {cmdargs} tests/contrib/asgi",
        ),
        Venv(
            name="requests",
            pys=INTEGRATION_PY,
            command="pytest {cmdargs} tests/contrib/requests",
            venvs=[
                Venv(name="requests-oldest", pkgs={"requests": "==2.20.0", "urllib3": "<1.25"}),
                Venv(name="requests-latest", pkgs={"requests": latest}),
            ],
        ),
        Venv(
            name="urllib3",
            pys=INTEGRATION_PY,
            command="pytest {cmdargs} tests/contrib/urllib3",
            venvs=[
                Venv(name="urllib3-1.26", pkgs={"urllib3": "==1.26.20", "requests": "==2.26.0"}),
                Venv(name="urllib3-latest", pkgs={"urllib3": latest, "requests": latest}),
            ],
        ),
        Venv(
            name="psycopg",
            pys=INTEGRATION_PY,
            command="pytest {cmdargs} tests/contrib/psycopg",
            venvs=[
                # The oldest releases with CPython 3.11 wheels (psycopg2 < 2.9.2 does not
                # import on 3.11).
                Venv(name="psycopg-oldest", pkgs={"psycopg2-binary": "==2.9.5", "psycopg[binary]": "==3.1.4"}),
                Venv(name="psycopg-latest", pkgs={"psycopg2-binary": latest, "psycopg[binary]": latest}),
            ],
        ),
        Venv(
            name="redis",
            pys=INTEGRATION_PY,
            command="pytest {cmdargs} tests/contrib/redis",
            venvs=[
                Venv(name="redis-oldest", pkgs={"redis": "==3.0.0"}),
                Venv(name="redis-latest", pkgs={"redis": latest}),
            ],
        ),
        Venv(
            name="rediscluster",
            pys=INTEGRATION_PY,
            # redis-py-cluster 2.1 pins redis-py 3.x: a venv of its own.
            pkgs={"redis-py-cluster": "==2.1.3", "redis": "==3.5.3"},
            command="pytest {cmdargs} tests/contrib/rediscluster",
        ),
        Venv(
            name="starlette",
            pys=INTEGRATION_PY,
            pkgs={"uvicorn": latest, "websockets": latest},
            command="pytest {cmdargs} tests/contrib/starlette",
            venvs=[
                # Starlette 0.13's TestClient is built on requests.
                Venv(name="starlette-oldest", pkgs={"starlette": "==0.13.0", "requests": latest}),
                Venv(name="starlette-latest", pkgs={"starlette": latest, "httpx": latest}),
            ],
        ),
        Venv(
            name="fastapi",
            pys=INTEGRATION_PY,
            pkgs={"uvicorn": latest, "websockets": latest},
            command="pytest {cmdargs} tests/contrib/fastapi",
            venvs=[
                Venv(name="fastapi-oldest", pkgs={"fastapi": "==0.100.0", "httpx": "==0.27.2", "anyio": "==3.7.1"}),
                Venv(name="fastapi-latest", pkgs={"fastapi": latest, "httpx": latest}),
            ],
        ),
        Venv(
            name="django",
            pys=INTEGRATION_PY,
            pkgs={"httpx": latest, "uvicorn": latest},
            command="pytest {cmdargs} tests/contrib/django",
            venvs=[
                Venv(
                    name="django-3.2",
                    pkgs={"django": "==3.2.25", "djangorestframework": "==3.14.0", "psycopg2-binary": latest},
                ),
                Venv(
                    name="django-5.2",
                    pkgs={"django": "==5.2.19", "djangorestframework": "==3.18.3", "psycopg[binary]": latest},
                ),
            ],
        ),
        Venv(
            name="flask",
            pys=INTEGRATION_PY,
            command="pytest {cmdargs} tests/contrib/flask tests/contrib/jinja2",
            venvs=[
                # The oldest set that runs on CPython 3.11 (Flask < 1.0.3 and Werkzeug <= 0.15.0 do not).
                Venv(
                    name="flask-oldest",
                    pkgs={
                        "flask": "==1.0.3",
                        "werkzeug": "==0.15.6",
                        "jinja2": "==2.10.3",
                        "markupsafe": "==1.1.1",
                        "itsdangerous": "==0.24",
                        "click": "==7.1.2",
                        "requests": latest,
                    },
                ),
                Venv(name="flask-latest", pkgs={"flask": latest, "jinja2": latest, "asgiref": latest, "requests": latest}),
            ],
        ),
        Venv(
            # Real process models: gunicorn (sync, gthread, gevent; --preload, --max-requests),
            # uWSGI (--master --processes 2, --lazy-apps, --enable-threads), a celery prefork
            # worker (Redis broker), multiprocessing fork/spawn pools: every trace arrives
            # once, nothing hangs. uWSGI builds from source (gcc and the Python headers).
            name="process-models",
            pys=INTEGRATION_PY,
            pkgs={
                "gunicorn": "==27.0.1",
                "gevent": "==26.9.0",
                "uwsgi": "==2.0.31",
                "celery": "==5.7.0",
                "redis": "==8.1.0",
            },
            command="pytest {cmdargs} tests/process_models",
        ),
        Venv(
            # One trace across two services: requests client -> gunicorn/Flask -> PostgreSQL, Redis.
            name="e2e",
            pys=INTEGRATION_PY,
            pkgs={"flask": latest, "gunicorn": latest, "psycopg2-binary": latest, "redis": latest, "requests": latest},
            command="pytest {cmdargs} tests/e2e",
        ),
    ],
)
