"""A token-bucket rate limiter for whole traces (``DD_TRACE_RATE_LIMIT``).

The bucket holds one second's worth of tokens (at least one, so fractional limits
such as 0.5/s still let a trace through every other second) and refills
continuously. It is kept as the time at which the bucket would be full again
(the "generic cell rate algorithm" form of a token bucket): one comparison and one
addition per call, no float token counts drifting.

Besides the decision, the limiter keeps the share of calls it allowed in the
current and the previous one-second window: the sampler reports that ratio as
``_dd.limit_psr`` so the backend can extrapolate what was dropped.
"""
import threading
import time

_WINDOW_NS = 1_000_000_000


class RateLimiter:
    """Allow at most ``rate_limit`` calls of :meth:`is_allowed` per second.

    :param rate_limit: calls (traces) per second; ``0`` allows none, a negative value
        allows all.
    :param clock: function returning monotonic nanoseconds, read on every call
        (tests inject a fake one); defaults to :func:`time.monotonic_ns`.

    Safe to share between threads. Raises ``TypeError`` / ``ValueError`` when
    ``rate_limit`` is not a number.
    """

    __slots__ = (
        "rate_limit",
        "_clock",
        "_lock",
        "_interval_ns",
        "_burst_ns",
        "_full_at",
        "_window_end",
        "_window_allowed",
        "_window_seen",
        "_prev_rate",
    )

    def __init__(self, rate_limit, clock=None):
        if isinstance(rate_limit, bool) or not isinstance(rate_limit, (int, float)):
            raise TypeError("rate_limit must be a number, not %s" % type(rate_limit).__name__)
        if rate_limit != rate_limit:
            raise ValueError("rate_limit must not be NaN")
        self.rate_limit = rate_limit
        self._clock = clock if clock is not None else time.monotonic_ns
        # Re-entrant: the sampler asks on the request path, where a signal handler that
        # traces may interrupt this very method on the same thread. Its call then
        # counts inside the interrupted one (a token more or less at worst) instead of
        # waiting forever for a lock its own thread holds.
        self._lock = threading.RLock()
        if rate_limit == float("inf"):
            self._interval_ns, self._burst_ns = 0.0, rate_limit
        elif rate_limit > 0:
            # Time one token takes to come back, and how far ahead of "now" the
            # bucket-full time may run while a token is still left.
            self._interval_ns = _WINDOW_NS / rate_limit
            self._burst_ns = (max(float(rate_limit), 1.0) - 1.0) * self._interval_ns
        else:
            self._interval_ns = self._burst_ns = 0.0
        self._full_at = None
        self._window_end = None
        self._window_allowed = 0
        self._window_seen = 0
        self._prev_rate = None

    def is_allowed(self):
        """Take a token if one is available; return whether the caller may proceed."""
        if self.rate_limit < 0:
            return True
        return self.is_allowed_with_rate()[0]

    def is_allowed_with_rate(self):
        """:meth:`is_allowed` and :attr:`effective_rate` right after it, in one step.

        Returns ``(allowed, effective_rate)``; what the sampler uses, as it needs both.
        """
        if self.rate_limit < 0:
            return True, 1.0
        now = self._clock()
        with self._lock:
            if self._window_end is None or now >= self._window_end:
                self._next_window(now)
            seen = self._window_seen = self._window_seen + 1
            allowed = False
            if self.rate_limit > 0:
                full_at = self._full_at
                if full_at is None or full_at < now:
                    full_at = now
                if full_at - now <= self._burst_ns:
                    self._full_at = full_at + self._interval_ns
                    self._window_allowed += 1
                    allowed = True
            rate = self._window_allowed / seen
            prev = self._prev_rate
        if prev is not None:
            rate = (rate + prev) / 2.0
        return allowed, rate

    def _next_window(self, now):
        end = self._window_end
        if end is None:
            self._window_end = now + _WINDOW_NS
            return
        # The window just closed counts as "previous" only when it is adjacent to the
        # new one; after an idle gap the previous window saw no traffic at all.
        if now < end + _WINDOW_NS and self._window_seen:
            self._prev_rate = self._window_allowed / self._window_seen
        else:
            self._prev_rate = None
        # Windows stay on a fixed one-second grid from the first call.
        self._window_end = end + ((now - end) // _WINDOW_NS + 1) * _WINDOW_NS
        self._window_allowed = 0
        self._window_seen = 0

    @property
    def effective_rate(self):
        """Share of calls allowed over the current and previous windows (0.0 to 1.0).

        The average of the two windows' ratios, or the current window's alone when
        the previous one saw no calls; 1.0 before any call. Reflects the state as of
        the last :meth:`is_allowed` call.
        """
        if self.rate_limit < 0:
            return 1.0
        with self._lock:
            seen = self._window_seen
            current = self._window_allowed / seen if seen else 1.0
            prev = self._prev_rate
        if prev is None:
            return current
        return (current + prev) / 2.0

    def __repr__(self):
        return "RateLimiter(rate_limit=%r, effective_rate=%r)" % (self.rate_limit, self.effective_rate)
