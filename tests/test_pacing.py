"""The shared pacer, driven by an injected clock so no test really sleeps."""

from __future__ import annotations

import itertools
import threading

import pytest

from bulk_invite.pacing import Pacer


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def releases(pacer: Pacer, clock: FakeClock, n: int) -> list[float]:
    times = []
    for _ in range(n):
        assert pacer.acquire()
        times.append(clock.now)
    return times


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t < start + window))
    return best


def test_pacer_spaces_requests_at_one_over_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(5, clock=clock, sleep=clock.sleep)
    times = releases(pacer, clock, 11)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g == pytest.approx(1 / (5 * 0.99)) for g in gaps)


def test_pacer_never_allows_more_than_rate_in_any_one_second_window() -> None:
    clock = FakeClock()
    pacer = Pacer(7, clock=clock, sleep=clock.sleep)
    assert max_in_window(releases(pacer, clock, 50)) <= 7


def test_pacer_achieves_at_least_97_percent_of_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)
    times = releases(pacer, clock, 101)
    assert 100 / (times[-1] - times[0]) >= 0.97 * 10


def test_pacer_does_not_wait_after_an_idle_gap() -> None:
    clock = FakeClock()
    pacer = Pacer(2, clock=clock, sleep=clock.sleep)
    pacer.acquire()
    clock.now += 10
    before = clock.now
    pacer.acquire()
    assert clock.now == before


def test_pause_holds_every_worker_until_retry_after_and_halves_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(8, clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.pause(3.0)
    assert pacer.rate == 4
    start = clock.now
    pacer.acquire()
    assert clock.now >= start + 3.0


def test_rate_recovers_additively_after_successes_but_never_above_max() -> None:
    clock = FakeClock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep, recovery_step=1)
    pacer.pause(0)
    pacer.pause(0)
    assert pacer.rate == 2.5
    pacer.succeeded()
    assert pacer.rate == 3.5
    for _ in range(20):
        pacer.succeeded()
    assert pacer.rate == 10


def test_rate_never_drops_below_the_floor() -> None:
    clock = FakeClock()
    pacer = Pacer(4, clock=clock, sleep=clock.sleep, min_rate=1)
    for _ in range(10):
        pacer.pause(0)
    assert pacer.rate == 1


def test_stop_releases_waiting_workers_with_a_refusal() -> None:
    pacer = Pacer(0.01)  # one request per 100 s: the second acquire must wait
    assert pacer.acquire()
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(pacer.acquire()))
    waiter.start()
    pacer.stop()
    waiter.join(timeout=5)
    assert got == [False]
    assert not pacer.acquire()


def test_shared_pacer_keeps_rate_across_threads() -> None:
    clock = FakeClock()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            clock.now += seconds

    pacer = Pacer(20, clock=clock, sleep=sleep)
    times: list[float] = []

    record = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            with record:  # the release and its timestamp, with no other thread in between
                pacer.acquire()
                times.append(clock.now)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    assert len(times) == 100
    assert max_in_window(times) <= 20
