"""Prometheus metrics: HTTP (Litestar's middleware) plus the model, the circuit and batches.

prometheus_client keeps one process-wide registry, so these metrics are module-level and
live state (circuit, batch items) is read at scrape time from the services last wired by
``create_app`` — one app per process in production.

With several server processes (``realise serve --workers N``) ``PROMETHEUS_MULTIPROC_DIR`` is
set: counters and histograms are summed over the processes (prometheus_client's multiprocess
mode), batch items are counted in the shared database, and the circuit state is that of the
process answering the scrape.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from litestar import Response, get
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from rewriter.pipeline import ModelCallRecord

MODEL_CALLS = Counter("realise_model_calls_total", "HTTP calls made to the model provider", ["provider", "model"])
MODEL_TOKENS = Counter(
    "realise_model_tokens_total", "Tokens billed by the model provider", ["provider", "model", "kind"]
)
MODEL_RETRIES = Counter("realise_model_retries_total", "Retried model calls", ["provider", "model"])
MODEL_ERRORS = Counter(
    "realise_model_errors_total", "Rewrites whose model call failed, by error", ["provider", "model", "error"]
)
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}


def record_model_call(record: ModelCallRecord) -> None:
    labels = (record.provider, record.model)
    MODEL_CALLS.labels(*labels).inc(record.calls)
    MODEL_TOKENS.labels(*labels, "prompt").inc(record.prompt_tokens)
    MODEL_TOKENS.labels(*labels, "completion").inc(record.completion_tokens)
    MODEL_RETRIES.labels(*labels).inc(record.retries)
    if record.error:
        MODEL_ERRORS.labels(*labels, record.error).inc()


class LiveStateCollector(Collector):
    """Gauges computed on scrape from whatever sources the app registered."""

    def __init__(self) -> None:
        self.circuit_state: Callable[[], str] | None = None
        self.batch_item_counts: Callable[[], dict[str, int]] | None = None

    def collect(self) -> Iterator[Any]:
        if self.circuit_state:
            circuit = GaugeMetricFamily("realise_model_circuit_state", "Model circuit: 0 closed, 1 half-open, 2 open")
            circuit.add_metric([], CIRCUIT_VALUES[self.circuit_state()])
            yield circuit
        if self.batch_item_counts:
            items = GaugeMetricFamily("realise_batch_items", "Batch items by state", labels=["state"])
            for state, count in sorted(self.batch_item_counts().items()):
                items.add_metric([state], count)
            yield items


LIVE_STATE = LiveStateCollector()
REGISTRY.register(LIVE_STATE)

PROMETHEUS = PrometheusConfig(app_name="realise", prefix="realise", group_path=True, exclude=["^/metrics"])


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False

    @get(sync_to_thread=False)
    def get(self) -> Response:
        """Prometheus metrics of every server process."""
        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            registry.register(LIVE_STATE)
        return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
