"""What a batch item holds while it runs: a model-call slot until the model answers, then a turn
in the judging lane; and how the starts of model calls are spaced (rewriter/batch/slots.py)."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest
from support.batch_engines import ScriptedEngine
from support.worker_pipelines import Script

from rewriter.batch.model import BacklogItem, BatchOptions
from rewriter.batch.runner import BatchRunner
from rewriter.batch.slots import FairSlots, JudgingLane, Pacer
from rewriter.batch.store import BatchStore
from rewriter.batch.worker import WorkerPool, compute
from rewriter.domain import RewriteSpec
from rewriter.errors import UpstreamUnavailable
from rewriter.pipeline import RewritePipeline
from tests.support.worker_pipelines import scripted


@pytest.fixture
def store(tmp_path):
    store = BatchStore(tmp_path / "batches.db")
    yield store
    store.close()


async def test_the_model_call_ended_hook_runs_after_the_answer_and_before_any_judging(monkeypatch):
    pipeline = RewritePipeline(ScriptedEngine())
    order: list[str] = []
    rank = pipeline.rank
    monkeypatch.setattr(
        pipeline, "rank", lambda drafts, spec, mission=None: (order.append("rank"), rank(drafts, spec, mission))[1]
    )

    async def ended() -> None:
        order.append("call ended")

    result = await pipeline.rewrite(RewriteSpec(request="Upgrade Elasticsearch"), model_call_ended=ended)
    assert order == ["call ended", "rank"] and result.candidates


async def test_the_hook_runs_before_a_model_failure_is_raised_but_not_when_the_call_is_cancelled():
    engine = ScriptedEngine()
    engine.fail("Upgrade Elasticsearch", UpstreamUnavailable("down"))
    pipeline = RewritePipeline(engine)
    ended: list[str] = []

    async def hook() -> None:
        ended.append("ended")

    with pytest.raises(UpstreamUnavailable):
        await pipeline.rewrite(RewriteSpec(request="Upgrade Elasticsearch"), model_call_ended=hook)
    assert ended == ["ended"]

    held = RewritePipeline(ScriptedEngine(held=True))
    task = asyncio.create_task(held.rewrite(RewriteSpec(request="Build a chatbot"), model_call_ended=hook))
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended == ["ended"]  # not again: a cancelled call has not ended, and nobody waits for it


async def test_a_batch_item_frees_its_model_slot_before_its_answer_is_judged(store, monkeypatch):
    pipeline = RewritePipeline(ScriptedEngine())
    runner = BatchRunner(store, pipeline, concurrency=1, retry_delay=0.0)
    waiting_for_a_slot_while_judging: list[int] = []
    rank = pipeline.rank

    def recording_rank(drafts, spec, mission=None):
        waiting_for_a_slot_while_judging.append(runner.limit.waiting)
        return rank(drafts, spec, mission)

    monkeypatch.setattr(pipeline, "rank", recording_rank)
    items = [BacklogItem(where=f"line {n}", request=f"Build report number {n}") for n in range(3)]
    batch = store.create(items, options=BatchOptions(), source="test", input_digest="0" * 64)
    final = await runner.run(batch.id)
    assert final.done == 3
    # The next item was waiting for the only slot; it got it when the model answered (had the
    # slot been held through the judging, it would still be waiting for the first two).
    assert waiting_for_a_slot_while_judging == [0, 0, 0]
    assert runner.limit.in_use == 0 and runner._in_progress.in_use == 0  # every slot given back


async def test_compute_judges_one_answer_at_a_time_in_the_lane():
    lane = JudgingLane()
    pipeline = RewritePipeline(ScriptedEngine())
    in_lane_seen: list[int] = []
    rank = pipeline.rank

    def recording_rank(drafts, spec, mission=None):
        in_lane_seen.append(lane.in_use)
        return rank(drafts, spec, mission)

    pipeline.rank = recording_rank  # type: ignore[method-assign]
    specs = [RewriteSpec(request=f"Migrate service number {n}") for n in range(5)]
    results = await asyncio.gather(*(compute(pipeline, spec, None, lane) for spec in specs))
    assert len(results) == 5 and in_lane_seen == [1] * 5
    assert lane.in_use == 0  # released after each, failures included


async def test_fair_slots_serve_in_order_and_a_cancelled_waiter_passes_its_slot_on():
    slots = FairSlots(1)
    await slots.acquire()
    order: list[str] = []

    async def take(name: str) -> None:
        await slots.acquire()
        order.append(name)

    first, second = asyncio.create_task(take("first")), asyncio.create_task(take("second"))
    await asyncio.sleep(0)
    slots.release()  # handed to "first" ...
    first.cancel()  # ... which is cancelled before it runs: the slot must reach "second"
    await asyncio.gather(first, return_exceptions=True)
    await second
    assert order == ["second"] and slots.in_use == 1


async def test_the_pacer_spaces_starts_by_a_quarter_of_the_latency_over_the_slots_once_it_has_seen_a_call():
    now = [100.0]
    pacer = Pacer(clock=lambda: now[0])
    started = time.perf_counter()
    for _ in range(5):
        await pacer.wait(slots=50)  # no latency seen yet: never waits
    assert time.perf_counter() - started < 0.05
    pacer.observe(0.2)
    assert pacer.gap(50) == pytest.approx(0.001)
    await pacer.wait(slots=50)
    assert pacer._next_start == pytest.approx(100.001)
    pacer.observe(0.4)  # a moving average, not the last call
    assert pacer.latency == pytest.approx(0.24)
    assert pacer.gap(1) == pytest.approx(0.06)


async def test_the_pacer_really_waits_between_starts():
    pacer = Pacer()
    pacer.observe(0.1)
    started = time.perf_counter()
    for _ in range(6):
        await pacer.wait(slots=1)  # 25 ms apart
    assert time.perf_counter() - started >= 5 * 0.025 * 0.9


async def test_a_worker_says_when_the_model_call_ended_before_it_sends_the_result():
    pool = WorkerPool(1, factory=scripted, config=msgspec.json.encode(Script(delay=0.05)))
    await pool.start()
    events: list[str] = []
    try:
        task = asyncio.create_task(
            pool.rewrite(RewriteSpec(request="Upgrade Elasticsearch"), lambda: events.append("call ended"))
        )
        task.add_done_callback(lambda _: events.append("result"))
        computed = await task
    finally:
        await pool.close()
    assert events == ["call ended", "result"] and computed.summary


async def test_many_waiters_cancelled_at_once_lose_no_slot_and_raise_nothing_else():
    slots = FairSlots(2)
    await slots.acquire()
    await slots.acquire()
    waiters = [asyncio.create_task(slots.acquire()) for _ in range(6)]
    await asyncio.sleep(0)
    for task in waiters[:4]:
        task.cancel()  # their futures are cancelled now; their tasks unwind later
    slots.release()  # a hand-over in between must skip the cancelled ones
    slots.release()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results[:4])
    assert results[4:] == [None, None] and slots.in_use == 2 and slots.waiting == 0
