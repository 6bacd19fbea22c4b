"""One request pacer shared by every worker: a token bucket, a global pause, adaptive rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]

# Requests are spaced a hair wider than 1/rate so that scheduling jitter between the moment a
# worker is released and the moment its bytes reach the server cannot squeeze rate+1 requests
# into one second; the cost is 1% of throughput.
_HEADROOM = 0.99


class Pacer:
    """A capacity-one token bucket on a monotonic clock, shared by all workers and retries.

    Each ``acquire`` is released at least ``1/rate`` seconds after the previous release, so no
    one-second window ever holds more than ``rate`` requests. A 429 pauses every worker until its
    Retry-After and halves the rate (multiplicative decrease); each success adds a little back
    (additive increase), never above the configured rate.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep | None = None,
        min_rate: float | None = None,
        recovery_step: float | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = rate
        self._rate = rate
        self._min_rate = min_rate if min_rate is not None else min(rate, max(rate / 16, 0.1))
        self._step = recovery_step if recovery_step is not None else max(rate / 50, 0.02)
        self._clock = clock
        self._stopped = stop if stop is not None else threading.Event()
        self._sleep = sleep if sleep is not None else self._interruptible_sleep
        self._dispatch = threading.Lock()
        self._state = threading.Lock()
        self._last: float | None = None
        self._paused_until = float("-inf")
        self.released = 0

    @property
    def rate(self) -> float:
        """The current allowed rate in requests per second."""
        with self._state:
            return self._rate

    def acquire(self) -> bool:
        """Wait for the next slot; False if the pacer was stopped while waiting."""
        with self._dispatch:
            while True:
                if self._stopped.is_set():
                    return False
                now = self._clock()
                with self._state:
                    interval = 1.0 / (self._rate * _HEADROOM)
                    ready = self._paused_until
                    if self._last is not None:
                        ready = max(ready, self._last + interval)
                if now >= ready:
                    self._last = now
                    self.released += 1
                    return True
                self._sleep(ready - now)

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` (a Retry-After) and cut the rate."""
        with self._state:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))
            self._rate = max(self._min_rate, self._rate / 2)

    def succeeded(self) -> None:
        """Recover the rate a little after a request the server accepted."""
        with self._state:
            self._rate = min(self.max_rate, self._rate + self._step)

    def stop(self) -> None:
        """Release every waiting worker with a refusal; later acquires fail at once."""
        self._stopped.set()

    def _interruptible_sleep(self, seconds: float) -> None:
        self._stopped.wait(seconds)
