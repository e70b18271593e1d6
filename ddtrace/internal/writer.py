"""Where finished traces go.

``TraceWriter`` is the interface the aggregator calls: ``write(spans)`` must be O(1),
never block on the network and never raise.

:class:`AgentWriter` is the writer every tracer uses by default. How it works:

- ``write()`` (on the application's thread) only appends the span list to an
  in-memory queue (``ddtrace.internal._queue.TraceQueue``: C counters, no lock; the
  tracer's aggregator pushes into it directly). The queue is bounded in *spans*:
  ``buffer_size // SPAN_SIZE_ESTIMATE`` of them (20,480 for the default 20 MiB), an
  estimate of the memory a queued span takes as Python objects (the span and its
  tag dicts); counting spans keeps ``write()`` free of any encoding work. A trace
  that does not fit is dropped and counted; ``write()`` never waits.
- One daemon thread, started on the first ``write()`` (never at import or
  construction, and again lazily in a forked child), wakes every ``interval``
  seconds, or early when the queue passes half its capacity (each payload has a fixed
  cost, so fewer, fuller payloads are cheaper for the application). It encodes the
  queued traces into payloads of at most ``max_payload_size`` bytes and ``PUT``\\ s
  them to the agent. Encoding happens there, off the request path.
- While the agent cannot be reached, the queue shrinks to 1/``OUTAGE_QUEUE_DIVISOR``
  of its size (it could only fill up with traces bound to be dropped), and grows
  back with the first payload the agent accepts.
- Failures never reach the application: connection errors and 5xx answers are
  retried (``MAX_SEND_ATTEMPTS`` tries, exponential backoff with jitter), other 4xx
  answers drop the payload at once; ``404``/``415`` on ``v0.5`` switch this writer
  to ``v0.4`` for good and re-send the same traces. Every drop is counted per
  reason (:meth:`AgentWriter.stats`) and summarised in a rate-limited warning.
- The agent's ``rate_by_service`` answer goes to the sampler of the tracer that
  owns the writer (or to ``on_rate_by_service``).
- At exit an ``atexit`` hook (and, in ``multiprocessing`` children that leave
  through ``os._exit``, a ``multiprocessing`` finaliser) sends what is queued, giving
  up after ``EXIT_FLUSH_SECONDS``: a dead agent never holds the exit.
- In a forked child the writer re-creates its locks, event and queue (it never
  acquires the parent's, which another thread may have held at fork time) and
  sends only what the child writes; the parent keeps its own queue.
- With ``DD_TRACE_STARTUP_LOGS=true`` the first send attempt of the process logs
  the effective configuration and the agent's answer (``startup_logs``): logging
  at that point, rather than at start-up, is what lets the line say whether the
  agent could be reached without delaying the application.
"""
import os
import sys
import threading
import time
import weakref

from ddtrace.internal import forks
from ddtrace.internal import lazy
from ddtrace.internal._queue import PUSH_CLOSED
from ddtrace.internal._queue import PUSH_FULL
from ddtrace.internal._queue import PUSH_START
from ddtrace.internal._queue import PUSH_TOO_LARGE
from ddtrace.internal._queue import PUSH_WAKE
from ddtrace.internal._queue import PUSH_WHAT
from ddtrace.internal._queue import TraceQueue
from ddtrace.internal._queue import call_at_c_exit
from ddtrace.internal.encoding import BufferFull
from ddtrace.internal.encoding import BufferItemTooLarge
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.internal.suppress import suppress_current_thread
from ddtrace.internal.suppress import suppressed

log = get_logger(__name__)


class TraceWriter:
    """Interface of every writer."""

    def write(self, spans):
        raise NotImplementedError

    def flush_queue(self, timeout=None):
        """Send what is buffered now; return once it is sent (or ``timeout`` passed)."""

    def stop(self, timeout=None):
        """Flush and release resources; later writes are dropped."""

    def recreate(self):
        """A fresh writer of the same configuration (used in forked children)."""
        return self.__class__()

    def _after_fork(self):
        """Called in a forked child before any new trace is written."""


class InMemoryWriter(TraceWriter):
    """Keeps written traces in memory (tests and debugging)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._traces = []

    def write(self, spans):
        with self._lock:
            self._traces.append(list(spans))

    def pop_traces(self):
        """All traces written so far (each a list of spans), emptying the writer."""
        with self._lock:
            traces, self._traces = self._traces, []
        return traces

    def pop(self):
        """All spans written so far, in write order, emptying the writer."""
        return [s for t in self.pop_traces() for s in t]

    def recreate(self):
        return InMemoryWriter()

    def _after_fork(self):
        self._lock = threading.Lock()
        self._traces = []


class NullWriter(TraceWriter):
    """Drops everything."""

    def write(self, spans):
        pass


# ---------------------------------------------------------------- AgentWriter

#: While the agent is unreachable the queue holds this fraction of its spans.
OUTAGE_QUEUE_DIVISOR = 32

#: Bytes of memory one queued span is assumed to take (the Span and its tag dicts,
#: measured at 0.5-1 KiB); sizes the queue in spans so ``buffer_size`` bounds memory.
SPAN_SIZE_ESTIMATE = 1024
#: Tries per payload (first attempt included) on connection errors and 5xx answers.
MAX_SEND_ATTEMPTS = 3
#: First retry delay in seconds; doubled each retry, with +-50% jitter.
RETRY_BASE_DELAY = 0.1
#: Most seconds the exit hook spends sending what is left.
EXIT_FLUSH_SECONDS = 2.0
#: Environment variable with extra headers for every payload, ``Name:value,Name2:value2``
#: (how test harnesses pass ``X-Datadog-Test-Session-Token`` to a subprocess).
ADDITIONAL_HEADERS_ENV = "_DD_TRACE_WRITER_ADDITIONAL_HEADERS"

#: Drop reasons, as keys of ``stats()["dropped_traces"]``.
DROP_BUFFER_FULL = "buffer_full"
DROP_TRACE_TOO_LARGE = "trace_too_large"
DROP_SEND_FAILED = "send_failed"
DROP_REJECTED = "rejected_by_agent"
DROP_ENCODING_ERROR = "encoding_error"
DROP_STOPPED = "writer_stopped"
DROP_EXIT_TIMEOUT = "exit_timeout"

_DROP_TEXT = {
    DROP_BUFFER_FULL: "queue full (traces arrive faster than they can be sent)",
    DROP_TRACE_TOO_LARGE: "trace larger than the buffer or the payload size",
    DROP_SEND_FAILED: "agent unreachable or failing",
    DROP_REJECTED: "payload rejected by the agent",
    DROP_ENCODING_ERROR: "trace could not be encoded",
    DROP_STOPPED: "written after the writer was stopped",
    DROP_EXIT_TIMEOUT: "not sent before the process exited",
}

#: What each drop code of the queue counts as.
_PUSH_DROPS = {PUSH_FULL: DROP_BUFFER_FULL, PUSH_TOO_LARGE: DROP_TRACE_TOO_LARGE, PUSH_CLOSED: DROP_STOPPED}

_SUPPORTED_APIS = ("v0.5", "v0.4")

# Outcomes of one payload send besides the drop reasons above.
_SENT = "sent"
_FALL_BACK = "fall back to v0.4"

# ``write()`` results of putting one trace in the encoder.

#: Every AgentWriter of the process, for the fork hook.
_all_writers = weakref.WeakSet()
#: Writers whose thread started in this process, for the exit hook.
_started_writers = weakref.WeakSet()
_atexit_registered = False
#: Whether this process (or the parent it was forked from) wrote the start-up log line.
_startup_logged = False


def _setting(value, default, fallback, convert, name, setting):
    """``value`` (or ``default``, from the configuration, when None) converted and
    checked against the setting's range (``WRITER_LIMITS``); a bad value logs and falls
    back to ``default``, then to ``fallback``."""
    from ddtrace.settings._config import WRITER_LIMITS

    low, high, inclusive = WRITER_LIMITS[setting]
    for raw in (default, fallback) if value is None else (value, default, fallback):
        try:
            v = convert(raw)
            if (v > low or (inclusive and v == low)) and v <= high:
                return v
            error = "must be %s %s and at most %s" % ("at least" if inclusive else "more than", low, high)
        except (TypeError, ValueError, OverflowError) as e:
            error = str(e)
        log.warning_always("invalid AgentWriter %s=%r (%s); using the default", name, raw, error)
    return fallback


def _parse_headers(raw):
    headers = {}
    for item in raw.split(","):
        name, sep, value = item.partition(":")
        name = name.strip()
        if sep and name:
            headers[name] = value.strip()
    return headers


class AgentWriter(TraceWriter):
    """Sends finished traces to the Datadog Agent from a background thread.

    Every argument left as ``None`` comes from :data:`ddtrace.config`:

    :param agent_url: ``http://host:port``, ``https://host:port`` or
        ``unix:///path/to/apm.socket`` (``DD_TRACE_AGENT_URL``).
    :param api_version: ``"v0.5"`` or ``"v0.4"`` (``DD_TRACE_API_VERSION``).
    :param buffer_size: bytes of (estimated, encoded) traces that may wait to be
        sent; past it new traces are dropped (``DD_TRACE_WRITER_BUFFER_SIZE_BYTES``).
    :param max_payload_size: largest request body, in bytes
        (``DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES``).
    :param interval: seconds between two sends (``DD_TRACE_WRITER_INTERVAL_SECONDS``).
    :param timeout: seconds allowed for each request (``DD_TRACE_AGENT_TIMEOUT_SECONDS``).
    :param headers: extra HTTP headers for every payload (default: the
        ``_DD_TRACE_WRITER_ADDITIONAL_HEADERS`` environment variable).
    :param on_rate_by_service: called with the agent's ``rate_by_service`` dict; when
        None, the tracer the writer is given to sets its sampler's update here.

    ``write()`` never blocks and never raises; see the module documentation for what
    happens behind it.
    """

    def __init__(
        self,
        agent_url=None,
        api_version=None,
        buffer_size=None,
        max_payload_size=None,
        interval=None,
        timeout=None,
        headers=None,
        on_rate_by_service=None,
    ):
        from ddtrace.settings import config

        self._init_args = dict(
            agent_url=agent_url,
            api_version=api_version,
            buffer_size=buffer_size,
            max_payload_size=max_payload_size,
            interval=interval,
            timeout=timeout,
            headers=headers,
            on_rate_by_service=on_rate_by_service,
        )
        self._agent_url = str(agent_url if agent_url is not None else config._trace_agent_url)
        # For logs and reports, without credentials.
        self._agent_url_text = lazy.load("ddtrace.internal.agent").redact_url(self._agent_url)
        api = api_version if api_version is not None else config._trace_api
        if api not in _SUPPORTED_APIS:
            log.warning("unsupported trace API version %r; using v0.5 (supported: v0.5, v0.4)", api)
            api = "v0.5"
        self._api_version = api
        self._buffer_size = _setting(
            buffer_size, config._trace_writer_buffer_size, 20 << 20, int, "buffer_size", "_trace_writer_buffer_size"
        )
        self._max_payload_size = _setting(
            max_payload_size,
            config._trace_writer_payload_size,
            20 << 20,
            int,
            "max_payload_size",
            "_trace_writer_payload_size",
        )
        self._interval = _setting(
            interval, config._trace_writer_interval_seconds, 1.0, float, "interval", "_trace_writer_interval_seconds"
        )
        self._timeout = _setting(timeout, config._agent_timeout_seconds, 2.0, float, "timeout", "_agent_timeout_seconds")
        if headers is None:
            headers = _parse_headers(os.environ.get(ADDITIONAL_HEADERS_ENV, ""))
        self._extra_headers = dict(headers)
        self._on_rate_by_service = on_rate_by_service
        self._max_queued_spans = max(1, self._buffer_size // SPAN_SIZE_ESTIMATE)
        self._wake_spans = max(1, self._max_queued_spans // 2)
        # One queue for the writer's whole life: the tracer's aggregator pushes into it
        # directly (a C call, no lock), so a forked child resets it rather than replacing it.
        self._trace_queue = TraceQueue(self._max_queued_spans, self._wake_spans)
        self._stopped = False
        # Once v0.5 has been accepted the agent cannot ask for v0.4 any more, so the
        # span lists need not be kept until their payload is answered.
        self._api_confirmed = api != "v0.5"
        self._headers = None
        self._reset_process_state()
        _all_writers.add(self)

    def _reset_process_state(self):
        # Everything that belongs to one process: a forked child gets fresh ones.
        self._pid = os.getpid()
        # Taken by the writer's own thread and by readers of the counters (stats(),
        # flush()), never on the request path (see _on_push), and never held across
        # anything that could switch greenlets.
        self._lock = threading.Lock()
        # Held across sends (network I/O): made on first use, so that under gevent it
        # is a gevent lock (a forked worker patches after the at-fork hooks ran); a
        # real lock would block the whole worker while another greenlet holds it.
        self._send_lock = None
        # Held while no wake-up is pending: _wake() releases it (a single C call that
        # never blocks), the writer thread's acquire(timeout=interval) consumes it.
        # Unlike an Event, whose set() takes a lock, waking cannot deadlock when a
        # signal handler interrupts a wake-up to trace and wake again. Made with the
        # thread, for the same reason as the send lock.
        self._wakeup = None
        self._trace_queue.reset()
        self._trace_queue.closed = self._stopped
        self._thread = None
        self._exiting = False
        self._encoder = None
        self._encoder_api = None
        self._conn = None
        self._dropped = {}
        self._unreported = {}
        self._last_report = None
        self._reports = 0
        self._sent_traces = 0
        self._sent_payloads = 0
        self._agent_error = None
        self._sends = 0

    def __repr__(self):
        return "<AgentWriter %s %s>" % (self._agent_url_text, self._api_version)

    # -------------------------------------------------------------- request path

    def write(self, spans):
        """Queue one trace (a list of finished spans) for sending; never blocks or raises."""
        try:
            code = self._trace_queue.put(spans)
            if code:
                self._on_push(code, spans)
        except Exception as e:
            report_internal_error(e, "queueing a trace for the agent")

    def _on_push(self, code, spans):
        """Act on what ``TraceQueue.push`` reported (called only when it is not PUSH_OK).

        The tracer's aggregator calls this too, after pushing into ``_trace_queue``
        itself. Must never raise, and takes no lock: a signal handler (or a finaliser)
        may trace while the code it interrupted is right here, so nothing this takes
        may be held by that code. The queue counts the drops itself; the start claim
        is the queue's (PUSH_START is returned once); the wake-up is a lock release.
        """
        try:
            what = code & PUSH_WHAT
            if what in (PUSH_FULL, PUSH_TOO_LARGE, PUSH_CLOSED):
                log.debug("dropped a trace of %d span(s): %s", len(spans), _DROP_TEXT[_PUSH_DROPS[what]])
            if code & PUSH_START and not self._stopped:
                self._start_thread()
            if what in (PUSH_WAKE, PUSH_FULL):
                if self._pid != os.getpid():
                    # Forked by something that skipped the at-fork hooks: the thread
                    # this queue waits for does not exist here. Checked only on this
                    # rare path, not on every write.
                    self._after_fork()
                self._wake()
        except Exception as e:
            report_internal_error(e, "queueing a trace for the agent")

    def _wake(self):
        wakeup = self._wakeup
        if wakeup is None:
            return  # no thread yet
        try:
            wakeup.release()
        except RuntimeError:
            pass  # a wake-up is pending already

    def _collect_drops(self):
        # Called with self._lock held: moves what the queue counted into the counters.
        for what, (traces, spans) in self._trace_queue.take_drops().items():
            self._count_drop(_PUSH_DROPS[what], traces, spans)

    def _count_drop(self, reason, traces, spans):
        # Called with self._lock held.
        for counts in (self._dropped, self._unreported):
            c = counts.get(reason)
            if c is None:
                counts[reason] = [traces, spans]
            else:
                c[0] += traces
                c[1] += spans

    def _drop(self, reason, traces, spans):
        with self._lock:
            self._count_drop(reason, traces, spans)
        log.debug("dropped %d trace(s), %d span(s): %s", traces, spans, _DROP_TEXT.get(reason, reason))

    def _start_thread(self):
        wakeup = threading.Lock()
        wakeup.acquire()
        self._wakeup = wakeup
        t = threading.Thread(target=self._run, args=(wakeup,), name="ddtrace.internal.writer", daemon=True)
        try:
            t.start()
        except Exception as e:
            # Interpreter shutdown (or no more threads): the exit hook, if still to
            # run, sends what is queued; nothing else can be done.
            log.debug("could not start the trace writer thread: %r", e)
            return
        self._thread = t
        _register_exit_hooks(self)

    # -------------------------------------------------------------- writer thread

    def _run(self, wakeup):
        suppress_current_thread()
        interval = min(self._interval, threading.TIMEOUT_MAX)
        while True:
            wakeup.acquire(timeout=interval)
            try:
                self._flush()
            except Exception as e:
                report_internal_error(e, "sending traces to the agent")
            if self._exiting:
                return

    def _flush(self, deadline=None, lock_timeout=-1):
        """Send everything queued. Returns False if another flush held the send lock
        past ``lock_timeout``."""
        send_lock = self._send_lock
        if send_lock is None:
            with self._lock:
                send_lock = self._send_lock
                if send_lock is None:
                    send_lock = self._send_lock = threading.Lock()
        if not send_lock.acquire(timeout=lock_timeout):
            return False
        try:
            traces, _ = self._trace_queue.pop_all()
            if traces:
                _load_sending_modules()
                self._send_traces(traces, deadline)
        finally:
            send_lock.release()
        self._after_sends()
        return True

    def _after_sends(self):
        global _startup_logged
        if not _startup_logged and self._sends:
            _startup_logged = True  # once per process, whichever writer sends first
            try:
                from ddtrace.settings import config

                if config._startup_logs_enabled:
                    lazy.load("ddtrace.internal.startup_logs").log_configuration(self, self._agent_error)
            except Exception as e:
                report_internal_error(e, "writing the start-up log")
        self._report_drops()

    def _report_drops(self, final=False):
        """Log the drops not reported yet, at most once per ``DD_TRACE_LOGGING_RATE``
        seconds; ``final`` (the writer stops, the process exits): now, with the totals
        of the writer's life in this process."""
        from ddtrace.internal import logger as _logger

        with self._lock:
            self._collect_drops()
            # A final summary when something was not reported yet, or when several
            # reports each told a part of it; one report that said it all is enough.
            if not self._unreported and not (final and self._reports > 1):
                return
            now = time.monotonic()
            last = self._last_report
            if not final and last is not None and now - last < _logger.RATE_LIMIT_SECONDS:
                return
            counts = self._dropped if final else self._unreported
            counts = {r: tuple(c) for r, c in counts.items()}
            self._unreported = {}
            self._last_report = now
            self._reports += 1
        traces = sum(c[0] for c in counts.values())
        spans = sum(c[1] for c in counts.values())
        details = "; ".join(
            "%s: %d trace(s), %d span(s)" % (_DROP_TEXT.get(r, r), c[0], c[1]) for r, c in sorted(counts.items())
        )
        agent = " (agent %s: %s)" % (self._agent_url_text, self._agent_error) if self._agent_error else ""
        # Not through the logger's per-call-site limit: this method limits itself, and a
        # summary swallowed there (the final one above all) would hide the real count.
        log.warning_always(
            "%s %d trace(s) (%d spans) that were not sent to the Datadog Agent%s: %s",
            "in all, dropped" if final else "dropped",
            traces,
            spans,
            agent,
            details,
        )

    def _get_encoder(self):
        enc = self._encoder
        if enc is None or self._encoder_api != self._api_version:
            enc = lazy.load("ddtrace.internal.encoding").create_encoder(self._api_version, self._max_payload_size, self._max_payload_size)
            self._encoder = enc
            self._encoder_api = self._api_version
        return enc

    def _send_traces(self, traces, deadline):
        """Encode ``traces`` into as many payloads as needed and send each."""
        i, n = 0, len(traces)
        while i < n:
            enc = self._get_encoder()
            batch = None if self._api_confirmed else []
            nxt, added, spans, refused = enc.put_many(traces, i, batch)
            for trace, error in refused:
                if isinstance(error, BufferItemTooLarge):
                    self._drop(DROP_TRACE_TOO_LARGE, 1, len(trace))
                else:
                    self._drop(DROP_ENCODING_ERROR, 1, len(trace))
                    report_internal_error(error, "encoding a trace")
            if nxt < n and not added:
                # Full while empty: cannot happen (a trace too big for an empty buffer is
                # refused as too large), but never loop forever on it.
                self._drop(DROP_TRACE_TOO_LARGE, 1, len(traces[nxt] or ()))
                traces[nxt] = None
                nxt += 1
            if added:
                try:
                    self._send_payload(enc, batch, added, spans, deadline)
                except Exception as e:
                    # Whatever went wrong with this payload, its traces are counted and
                    # the next ones still go.
                    self._encoder = None
                    self._drop(DROP_SEND_FAILED, added, spans)
                    report_internal_error(e, "sending a payload to the agent")
            i = nxt

    def _send_payload(self, enc, batch, n_traces, n_spans, deadline):
        try:
            payload, count = enc.encode()
        except Exception as e:
            self._encoder = None  # whatever state it is in, start over with a new one
            self._drop(DROP_ENCODING_ERROR, n_traces, n_spans)
            report_internal_error(e, "encoding a payload")
            return
        if payload is None or not count:
            return
        outcome = self._send(payload, count, enc.content_type, deadline)
        self._set_outage(outcome == DROP_SEND_FAILED)
        if outcome == _SENT:
            with self._lock:
                self._sent_traces += count
                self._sent_payloads += 1
        elif outcome == _FALL_BACK:
            self._api_version = "v0.4"
            self._api_confirmed = True
            if batch is None:
                self._drop(DROP_REJECTED, n_traces, n_spans)
            else:
                self._send_traces(batch, deadline)
        else:
            self._drop(outcome, n_traces, n_spans)

    def _set_outage(self, failing):
        """While the agent is unreachable nothing queued can be sent: hold only a
        sliver of the queue (everything else is dropped and counted at once), so an
        agent outage costs the application little memory; full size again as soon as
        a payload goes through."""
        queue = self._trace_queue
        if failing:
            queue.max_spans = max(1, self._max_queued_spans // OUTAGE_QUEUE_DIVISOR)
            queue.wake_spans = max(1, queue.max_spans // 2)
        elif queue.max_spans != self._max_queued_spans:
            queue.max_spans = self._max_queued_spans
            queue.wake_spans = self._wake_spans

    def _send(self, payload, count, content_type, deadline):
        """PUT one payload, retrying as needed. Returns ``_SENT``, ``_FALL_BACK`` or a drop reason."""
        random = lazy.load("random")
        self._sends += 1
        conn = self._conn
        if conn is None:
            conn = self._conn = lazy.load("ddtrace.internal.agent").AgentConnection(self._agent_url)
        try:
            conn.agent_url
        except ValueError as e:
            self._agent_error = str(e)
            log.warning("cannot send traces: %s", e)
            return DROP_SEND_FAILED
        if self._headers is None:
            self._headers = lazy.load("ddtrace.internal.agent").base_headers()
        headers = dict(self._headers)
        headers.update(self._extra_headers)
        headers["Content-Type"] = content_type
        headers["X-Datadog-Trace-Count"] = str(count)
        api = self._api_version
        path = "/%s/traces" % api
        attempt = 0
        while True:
            attempt += 1
            timeout = self._timeout
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    self._agent_error = self._agent_error or "no time left to send"
                    return DROP_SEND_FAILED
            retry = True
            try:
                with suppressed():
                    resp = conn.request("PUT", path, payload, headers, timeout)
            except Exception as e:
                error = "%s: %s" % (type(e).__name__, e)
            else:
                status = resp.status
                if 200 <= status < 300:
                    self._agent_error = None
                    log.debug("sent %d trace(s) (%d bytes) to %s%s", count, len(payload), self._agent_url_text, path)
                    self._on_accepted(api, resp)
                    return _SENT
                error = "HTTP %d %s %s" % (status, resp.reason, resp.body[:200].decode("utf-8", "replace").strip())
                if status in (404, 415) and api == "v0.5":
                    self._agent_error = error
                    log.warning(
                        "the agent at %s does not accept v0.5 traces (%s); using v0.4 from now on",
                        self._agent_url_text,
                        error,
                    )
                    return _FALL_BACK
                retry = status >= 500
            self._agent_error = error
            if not retry:
                log.error(
                    "the agent at %s rejected %d trace(s) (%d bytes): %s; they are dropped",
                    self._agent_url_text,
                    count,
                    len(payload),
                    error,
                )
                return DROP_REJECTED
            if attempt >= MAX_SEND_ATTEMPTS:
                log.debug("giving up on %d trace(s) after %d attempts: %s", count, attempt, error)
                return DROP_SEND_FAILED
            delay = RETRY_BASE_DELAY * (2 ** (attempt - 1)) * (0.5 + random.random())
            if deadline is not None and time.monotonic() + delay >= deadline:
                return DROP_SEND_FAILED
            log.debug("sending traces to %s failed (%s); retrying in %.2fs", self._agent_url_text, error, delay)
            time.sleep(delay)

    def _on_accepted(self, api, resp):
        if api == "v0.5":
            self._api_confirmed = True
        body = resp.body
        if not body:
            return
        try:
            data = lazy.load("json").loads(body)
        except Exception as e:
            # Not JSON, or JSON nested past the recursion limit (RecursionError), or too
            # big to decode: the payload was accepted all the same.
            log.debug("the agent's answer is not usable JSON (%s): %r", type(e).__name__, body[:200])
            return
        rates = data.get("rate_by_service") if isinstance(data, dict) else None
        if rates is None:
            return
        if not isinstance(rates, dict):
            log.debug("the agent's rate_by_service is not an object: %r", rates)
            return
        callback = self._on_rate_by_service
        if callback is None:
            return
        try:
            callback(rates)
        except Exception as e:
            report_internal_error(e, "passing the agent's sample rates to the sampler")

    # -------------------------------------------------------------- control

    def flush_queue(self, timeout=None):
        """Send everything queued now, on the calling thread.

        :param timeout: most seconds to spend (waiting for a send in progress
            included); None waits for the send to finish, which the agent timeout
            and the retry limit bound.
        """
        try:
            if self._pid != os.getpid():
                self._after_fork()
            deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
            with suppressed():
                self._flush(deadline, -1 if timeout is None else max(0.0, timeout))
        except Exception as e:
            report_internal_error(e, "flushing traces to the agent")

    def stop(self, timeout=None):
        """Send what is queued, then stop the thread; later writes are dropped.

        :param timeout: most seconds to spend, flushing and joining the thread together.
        """
        try:
            deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
            with self._lock:
                self._stopped = True
                self._trace_queue.closed = True
            self.flush_queue(timeout)
            self._exiting = True
            self._wake()
            t = self._thread
            if isinstance(t, threading.Thread) and t is not threading.current_thread():
                t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if not (isinstance(t, threading.Thread) and t.is_alive()):
                conn = self._conn
                if conn is not None:
                    conn.close()
            _started_writers.discard(self)
            self._report_drops(final=True)
        except Exception as e:
            report_internal_error(e, "stopping the trace writer")

    def recreate(self):
        """A new writer with the same arguments."""
        return AgentWriter(**self._init_args)

    def stats(self):
        """Counters of this writer in this process.

        A dict with ``queued_traces``, ``queued_spans``, ``sent_traces``,
        ``sent_payloads``, ``dropped_traces`` and ``dropped_spans`` (each a dict
        reason -> count), ``api_version`` and ``agent_error`` (the last failure, or
        None once the agent accepted a payload).
        """
        with self._lock:
            self._collect_drops()
            return {
                "queued_traces": len(self._trace_queue),
                "queued_spans": self._trace_queue.spans,
                "sent_traces": self._sent_traces,
                "sent_payloads": self._sent_payloads,
                "dropped_traces": {r: c[0] for r, c in self._dropped.items()},
                "dropped_spans": {r: c[1] for r, c in self._dropped.items()},
                "api_version": self._api_version,
                "agent_error": self._agent_error,
            }

    def _after_fork(self):
        """Start afresh in a forked child: new locks, empty queue, no thread yet.

        The parent's queued traces stay the parent's to send. Locks are re-created,
        never acquired: another thread of the parent may have held them at fork time.
        """
        conn = self._conn
        if conn is not None:
            conn._forget()  # the socket is the parent's; closing it here is not our call
        self._reset_process_state()

    def _exit_flush(self, deadline):
        if self._pid != os.getpid() or (self._stopped and not len(self._trace_queue)):
            return
        remaining = deadline - time.monotonic()
        own = min(deadline, time.monotonic() + self._timeout)
        if not self._flush(own, max(0.0, remaining)):
            traces, n_spans = self._trace_queue.pop_all()
            if traces:
                with self._lock:
                    self._count_drop(DROP_EXIT_TIMEOUT, len(traces), n_spans)
        self._report_drops(final=True)


def create_default_writer():
    """The writer a new tracer sends to."""
    return AgentWriter()


# ---------------------------------------------------------------- process hooks

# What the writer thread needs to send is imported before its first send, as one
# guarded lazy load (see ddtrace.internal.lazy): a fork waits for it, so a child never
# inherits a half-imported http.client (a gunicorn --preload master forking workers
# while its writer thread imported it would leave those workers unable to send). That
# includes what the standard library imports by itself on a first use: the first
# connection's getaddrinfo() loads the idna codec. No import of the writer thread
# happens outside this load (tests/internal/test_lazy_loads.py checks it).
_sending_modules_loaded = False


def _load_sending_modules():
    global _sending_modules_loaded
    if _sending_modules_loaded:
        return
    with lazy.loading():
        import http.client  # noqa: F401
        import json  # noqa: F401
        import logging  # noqa: F401  (the thread's warnings import it otherwise)
        import random  # noqa: F401
        import socket  # noqa: F401
        import urllib.parse  # noqa: F401

        import ddtrace.internal.agent  # noqa: F401
        import ddtrace.internal.startup_logs  # noqa: F401
        from ddtrace.internal.encoding import create_encoder

        create_encoder("v0.4", 1, 1)  # an encoder may import its own dependencies
        "localhost".encode("idna")  # what socket.getaddrinfo() imports on its first call
        _sending_modules_loaded = True


def _after_fork_in_child():
    for writer in list(_all_writers):
        try:
            if writer._pid != os.getpid():  # the tracer's own hook may have reset it already
                writer._after_fork()
        except Exception as e:
            report_internal_error(e, "resetting a trace writer in a forked child")


forks.register(_after_fork_in_child)


def _register_exit_hooks(writer):
    global _atexit_registered
    _started_writers.add(writer)
    if not _atexit_registered:
        lazy.load("atexit").register(_flush_at_exit)
        # And for a process that leaves without running Python's atexit hooks at all
        # (a uWSGI master calls C's exit(): its import-time traces would be lost).
        call_at_c_exit(_flush_at_c_exit)
        _atexit_registered = True
    mp = sys.modules.get("multiprocessing")
    if mp is not None:
        # A multiprocessing child started with fork leaves through os._exit, skipping
        # atexit; its own finalisers run first, so send from one of those.
        try:
            util = lazy.load("multiprocessing.util")
            util.Finalize(writer, _flush_one_at_exit, args=(weakref.ref(writer),), exitpriority=100)
        except Exception as e:
            log.debug("could not register a multiprocessing exit hook: %r", e)


def _flush_one_at_exit(ref):
    writer = ref()
    if writer is not None:
        try:
            with suppressed():
                writer._exit_flush(time.monotonic() + EXIT_FLUSH_SECONDS)
        except Exception as e:
            report_internal_error(e, "sending traces at exit")


_exit_flushed_in = None


def _flush_at_c_exit():
    if _exit_flushed_in != os.getpid():  # Python's own exit hooks did not run
        _flush_at_exit()


def _flush_at_exit():
    global _exit_flushed_in
    _exit_flushed_in = os.getpid()
    deadline = time.monotonic() + EXIT_FLUSH_SECONDS
    for writer in list(_started_writers):
        try:
            with suppressed():
                writer._exit_flush(deadline)
        except Exception as e:
            report_internal_error(e, "sending traces at exit")
