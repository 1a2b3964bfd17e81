"""A circuit breaker for the model provider.

After ``threshold`` consecutive provider faults the circuit opens: calls fail fast (or
fall back) for ``cooldown`` seconds instead of queueing behind a provider that is down.
Then one trial call is let through (half-open); its result closes or re-opens the circuit.

What counts as a fault is the caller's decision (``RewritePipeline``): only what says the
provider is unwell (``UpstreamError.provider_fault``). One breaker guards one engine, and an
engine calls one model, so the state is per model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

CircuitState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(
        self, *, threshold: int = 5, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self.trial_in_flight = False

    @property
    def state(self) -> CircuitState:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def retry_after(self) -> float:
        """Seconds until a trial call will be allowed (0 when closed)."""
        if self.opened_at is None:
            return 0.0
        return max(self.cooldown - (self.clock() - self.opened_at), 0.0)

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self.consecutive_failures = 0
        self.opened_at = None
        self.trial_in_flight = False

    def abandon_trial(self) -> None:
        """The trial call ended without a verdict (e.g. cancelled): let another one try."""
        self.trial_in_flight = False

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        if self.trial_in_flight or self.consecutive_failures >= self.threshold:
            self.opened_at = self.clock()
        self.trial_in_flight = False
