"""What the tracer does in a forked child, whoever forked it.

A child of ``os.fork()`` runs Python's at-fork hooks, but not every fork goes through
``os.fork()``: uWSGI forks its workers in C and, unless ``--py-call-osafterfork`` is
given, never tells Python; so does a C extension, or libc's ``fork`` called through
ctypes. A child that keeps the parent's state would send the parent's queued traces
again, wait for a writer thread that does not exist there, and give its spans the
parent's ids, pid and runtime id (two uWSGI workers would produce the same span ids).

So the tracer's child-side work is registered here (:func:`register`) rather than
with ``os.register_at_fork``, and :func:`run_in_child` runs it once per new process:

- from Python's at-fork hook, after ``os.fork()``;
- from the compiled core otherwise: a C ``pthread_atfork`` handler (which every libc
  ``fork`` runs) bumps a counter, and the core compares it with the last one it saw
  when it starts a span or flushes a trace: one C integer comparison.

Every hook runs once per process, in registration order; errors are reported, never
raised.
"""
import os

_hooks = []
#: The process the hooks last ran for (or the one that imported this module).
_pid = os.getpid()


def register(fn):
    """Call ``fn()`` in every forked child, before it traces anything."""
    _hooks.append(fn)
    return fn


def run_in_child():
    """Run the hooks if this process has not run them yet (a no-op otherwise)."""
    global _pid
    pid = os.getpid()
    if pid == _pid:
        return
    _pid = pid
    for fn in list(_hooks):
        try:
            fn()
        except Exception as e:
            from ddtrace.internal.logger import report_internal_error

            report_internal_error(e, "resetting the tracer in a forked child (%r)" % (fn,))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=run_in_child)
