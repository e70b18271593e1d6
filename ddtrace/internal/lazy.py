"""The tracer's lazy loads, and the fork that waits for them.

``import ddtrace`` is cheap because the tracer loads most of what it needs the first
time it is used: the configuration (envier) on the first setting read, the sampler on
the first finished trace, ``http.client`` on the first send, ``traceback`` on the first
error... Such a first load can happen on any thread, at any time. A fork in the middle
of one is fatal to the child: while a module body runs, the importing thread holds
that module's import lock; the child inherits the lock, owned by a thread that does
not exist there, and blocks forever the first time it needs the module.

So every lazy load of the tracer is a *guarded load*:

- :func:`load` ``(name)`` returns module ``name``, importing it the first time inside
  a guarded load; afterwards it costs one dict lookup;
- ``with loading():`` guards a block that imports, explicitly or implicitly (the
  first DNS lookup imports the ``idna`` codec, for instance).

A before-fork hook waits until no other thread is inside a guarded load (at most
:data:`FORK_WAIT_SECONDS`: a load cannot finish if it needs a lock the forking thread
holds) and keeps new ones from starting until the fork is done. A child therefore
never inherits a half-imported module of the tracer's. The tracer's own threads (the
writer) do every first-time import inside a guarded load, and
``tests/internal/test_lazy_loads.py`` enumerates the tracer's function-level imports,
so a new unguarded one fails the suite.

No lock is involved, so a signal handler or a finaliser that interrupts this code and
loads something itself cannot deadlock on it: under the GIL each dict operation is
atomic, a loading thread announces itself before it checks for a fork, and the
forking thread announces the fork before it checks for loads, so one of them always
sees the other.

Re-entrancy: a signal handler or a finaliser may run on a thread that is inside a
load (of the configuration, say) and reach code needing what is being loaded, which
is then half-initialised on that very thread. :func:`in_load` tells such code it
interrupted a load of its own thread, and :func:`after_loads` defers work until that
thread's outermost load is over.
"""
import _thread
import os
import sys
import time

from ddtrace.internal import forks

#: Most seconds a fork waits for the lazy loads of other threads to finish.
FORK_WAIT_SECONDS = 5.0


def _get_ident():
    # Looked up at each call: gevent replaces it with a greenlet id once it patches.
    return _thread.get_ident()

#: Thread id -> depth of the guarded loads that thread is inside. The compiled core
#: keeps a reference to this very dict: it is cleared, never replaced.
in_flight = {}
#: Ids of the threads that are forking (normally zero or one).
_forkers = {}
#: Thread id -> functions to call once that thread's outermost load is over.
_deferred = {}
#: Modules :func:`load` returned fully imported: name -> module.
_loaded = {}
_modules = sys.modules


def _begin():
    me = _get_ident()
    while True:
        depth = in_flight.get(me, 0)
        in_flight[me] = depth + 1
        # Announced first, checked second (the fork does the reverse): a fork that
        # missed this load is seen here. A nested load never waits (the fork waits
        # for its outer one), nor does the forking thread itself.
        if not _forkers or depth or me in _forkers:
            return
        _leave(me)
        time.sleep(0.001)


def _leave(me):
    depth = in_flight.get(me, 1) - 1
    if depth > 0:
        in_flight[me] = depth
        return None
    in_flight.pop(me, None)
    return _deferred.pop(me, None)


def _end():
    callbacks = _leave(_get_ident())
    if callbacks:
        for fn in callbacks:
            _call(fn)


def _call(fn):
    try:
        fn()
    except Exception as e:
        from ddtrace.internal.logger import report_internal_error

        report_internal_error(e, "finishing work deferred until a lazy load was done")


class loading:
    """``with loading():`` the block is a guarded load (see the module documentation)."""

    __slots__ = ()

    def __enter__(self):
        _begin()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        _end()
        return False


def _initializing(module):
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def load(name):
    """Module ``name``, imported (the first time) inside a guarded load."""
    module = _loaded.get(name)
    # As ``import`` would, follow what sys.modules says now (tests replace entries).
    if module is not None and _modules.get(name) is module:
        return module
    module = _modules.get(name)
    if module is None or _initializing(module):
        _begin()
        try:
            __import__(name)
        finally:
            _end()
        module = sys.modules[name]
    if not _initializing(module):
        _loaded[name] = module
    return module


def in_load():
    """True if the calling thread is inside a guarded load (a signal handler or a
    finaliser that interrupted it, when asked from tracer code)."""
    return _get_ident() in in_flight


def after_loads(fn):
    """Call ``fn()`` once the calling thread's outermost guarded load is over: now,
    if it is inside none. Errors are reported, never raised."""
    me = _get_ident()
    if me in in_flight:
        _deferred.setdefault(me, []).append(fn)
    else:
        _call(fn)


def _before_fork():
    me = _get_ident()
    _forkers[me] = True
    give_up = time.monotonic() + FORK_WAIT_SECONDS
    while any(t != me for t in list(in_flight)):
        if time.monotonic() >= give_up:
            break
        time.sleep(0.001)


def _after_fork_in_parent():
    _forkers.pop(_get_ident(), None)


def _after_fork_in_child():
    # Only the forking thread exists here; what other threads were doing is gone.
    me = _get_ident()
    _forkers.clear()
    for t in list(in_flight):
        if t != me:
            del in_flight[t]
    for t in list(_deferred):
        if t != me:
            del _deferred[t]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent)
# Also after forks that skip Python's hooks (uWSGI's): the threads whose loads are in
# in_flight do not exist in the child, and a later fork would wait for them.
forks.register(_after_fork_in_child)
