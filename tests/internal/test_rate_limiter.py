import threading

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from ddtrace.internal import rate_limiter as rate_limiter_module
from ddtrace.internal.rate_limiter import RateLimiter

SECOND = 1_000_000_000


class FakeClock:
    def __init__(self, now=10 * SECOND):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += int(seconds * SECOND)


def allowed_count(limiter, n):
    return sum(limiter.is_allowed() for _ in range(n))


def test_zero_allows_nothing():
    limiter = RateLimiter(0, clock=FakeClock())
    assert allowed_count(limiter, 50) == 0
    assert limiter.effective_rate == 0.0


def test_negative_allows_everything():
    clock = FakeClock()
    limiter = RateLimiter(-1, clock=clock)
    assert allowed_count(limiter, 10_000) == 10_000
    assert limiter.effective_rate == 1.0


def test_burst_is_capped_at_one_second_of_tokens():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert allowed_count(limiter, 25) == 10
    # A long idle period must not bank more than the bucket holds.
    clock.advance(60)
    assert allowed_count(limiter, 25) == 10


def test_tokens_refill_continuously():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert allowed_count(limiter, 10) == 10
    assert not limiter.is_allowed()
    clock.advance(0.05)  # half a token
    assert not limiter.is_allowed()
    clock.advance(0.05)  # now a whole one
    assert limiter.is_allowed()
    assert not limiter.is_allowed()
    clock.advance(0.35)
    assert allowed_count(limiter, 10) == 3


def test_fractional_rate_lets_one_through_every_other_second():
    clock = FakeClock()
    limiter = RateLimiter(0.5, clock=clock)
    assert limiter.is_allowed()
    clock.advance(1)
    assert not limiter.is_allowed()
    clock.advance(1)
    assert limiter.is_allowed()
    assert not limiter.is_allowed()


def test_effective_rate_before_any_call_is_one():
    assert RateLimiter(5, clock=FakeClock()).effective_rate == 1.0


def test_effective_rate_current_window_only():
    limiter = RateLimiter(10, clock=FakeClock())
    allowed_count(limiter, 40)
    assert limiter.effective_rate == pytest.approx(10 / 40)


def test_effective_rate_averages_with_previous_window():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert allowed_count(limiter, 20) == 10  # previous window: 0.5
    clock.advance(1)
    assert allowed_count(limiter, 5) == 5  # current window: 1.0
    assert limiter.effective_rate == pytest.approx(0.75)
    clock.advance(1)
    assert allowed_count(limiter, 20) == 10  # previous 1.0, current 0.5
    assert limiter.effective_rate == pytest.approx(0.75)


def test_effective_rate_forgets_windows_before_an_idle_gap():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    allowed_count(limiter, 100)  # 0.1
    clock.advance(3.5)
    assert allowed_count(limiter, 4) == 4
    assert limiter.effective_rate == 1.0


def test_windows_stay_aligned_to_whole_seconds():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert allowed_count(limiter, 20) == 10  # window [0, 1): 0.5
    clock.advance(1.9)  # window [1, 2), bucket full again
    assert allowed_count(limiter, 10) == 10
    assert limiter.effective_rate == pytest.approx((0.5 + 1.0) / 2)
    clock.advance(0.2)  # t=2.1: window [2, 3), 2 tokens
    assert allowed_count(limiter, 6) == 2
    assert limiter.effective_rate == pytest.approx((1.0 + 2 / 6) / 2)
    clock.advance(0.95)  # t=3.05: a new window only if windows start on whole seconds
    assert limiter.is_allowed()
    assert limiter.effective_rate == pytest.approx((2 / 6 + 1.0) / 2)


def test_default_clock_is_time_monotonic_ns(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(rate_limiter_module.time, "monotonic_ns", clock)
    limiter = RateLimiter(2)
    assert allowed_count(limiter, 5) == 2
    clock.advance(1)
    assert allowed_count(limiter, 5) == 2


def test_threads_share_the_bucket_exactly():
    limiter = RateLimiter(100, clock=FakeClock())
    results = []
    lock = threading.Lock()

    def worker():
        n = allowed_count(limiter, 200)
        with lock:
            results.append(n)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 100
    assert limiter.effective_rate == pytest.approx(100 / 1600)


@pytest.mark.parametrize("bad", ["100", None, True, [1]])
def test_rejects_non_numbers(bad):
    with pytest.raises(TypeError):
        RateLimiter(bad)


def test_rejects_nan():
    with pytest.raises(ValueError):
        RateLimiter(float("nan"))


@settings(max_examples=60, deadline=None)
@given(
    rate=st.integers(min_value=1, max_value=50),
    steps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=3 * SECOND), st.integers(min_value=0, max_value=60)),
        max_size=20,
    ),
)
def test_never_allows_more_than_burst_plus_refill(rate, steps):
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock)
    allowed = 0
    elapsed = 0
    for advance_ns, calls in steps:
        clock.now += advance_ns
        elapsed += advance_ns
        allowed += allowed_count(limiter, calls)
        assert allowed <= rate + rate * elapsed / SECOND + 1e-9
        assert 0.0 <= limiter.effective_rate <= 1.0


def test_infinite_rate_allows_everything():
    limiter = RateLimiter(float("inf"), clock=FakeClock())
    assert allowed_count(limiter, 1000) == 1000
    assert limiter.effective_rate == 1.0


def test_is_allowed_with_rate_matches_the_two_calls():
    a = RateLimiter(3, clock=FakeClock())
    b = RateLimiter(3, clock=FakeClock())
    for _ in range(6):
        allowed, rate = a.is_allowed_with_rate()
        assert allowed == b.is_allowed()
        assert rate == b.effective_rate
    assert RateLimiter(-1).is_allowed_with_rate() == (True, 1.0)
    assert RateLimiter(0, clock=FakeClock()).is_allowed_with_rate() == (False, 0.0)
