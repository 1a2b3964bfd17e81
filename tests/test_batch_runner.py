"""The batch runner in-process: dedupe and cache, retries, failures, budgets, cancel, resume, AIMD."""

from __future__ import annotations

import asyncio

import pytest
from support.batch_engines import TOKENS_PER_CALL, ScriptedEngine
from support.servers import run_mock_model

from prompts import default_library
from rewriter.batch.errors import BatchConflict
from rewriter.batch.export import encode_pages
from rewriter.batch.model import BacklogItem, BatchOptions
from rewriter.batch.runner import AdaptiveLimit, BatchRunner
from rewriter.batch.store import BatchStore
from rewriter.errors import UpstreamBadOutput, UpstreamTimeout, UpstreamUnavailable
from rewriter.llm import OpenAIEngine, RetryPolicy, build_client
from rewriter.pipeline import RewritePipeline


@pytest.fixture
def store(tmp_path):
    store = BatchStore(tmp_path / "batches.db")
    yield store
    store.close()


def runner_for(store: BatchStore, engine, *, concurrency: int = 4) -> BatchRunner:
    return BatchRunner(store, RewritePipeline(engine), concurrency=concurrency, retry_delay=0.0)


def submit(store: BatchStore, *requests: str, **options) -> str:
    items = [BacklogItem(where=f"line {n}", request=text) for n, text in enumerate(requests, start=1)]
    return store.create(items, options=BatchOptions(**options), source="test", input_digest="0" * 64).id


def rows(store: BatchStore, batch_id: str) -> list[bytes]:
    return b"".join(encode_pages(store.rows(store.get(batch_id).seq), "jsonl")).splitlines()


async def test_identical_items_are_computed_once_and_served_from_the_cache_later(store):
    engine = ScriptedEngine()
    runner = runner_for(store, engine)
    # Whitespace and Unicode form do not make a different item; case does.
    first = submit(
        store,
        "Upgrade Elasticsearch",
        "Build a chatbot",
        "Upgrade  Elasticsearch ",
        "Upgrade Elasticsearch",
        "UPGRADE ELASTICSEARCH",
    )
    batch = await runner.run(first)
    assert (batch.status, batch.done, batch.cached) == ("done", 5, 2)
    assert engine.calls == {"Upgrade Elasticsearch": 1, "Build a chatbot": 1, "UPGRADE ELASTICSEARCH": 1}
    assert batch.tokens == 3 * TOKENS_PER_CALL

    later = await runner.run(submit(store, "Build a chatbot", "Hire two analysts"))
    assert (later.done, later.cached) == (2, 1)
    assert engine.calls["Build a chatbot"] == 1
    # Other options are another question, asked again.
    other = await runner.run(submit(store, "Build a chatbot", candidates=2))
    assert (other.cached, engine.calls["Build a chatbot"]) == (0, 2)


async def test_an_identical_item_waits_for_the_one_in_flight_instead_of_paying_again(store):
    engine = ScriptedEngine(held=True)
    running = asyncio.create_task(
        runner_for(store, engine, concurrency=4).run(submit(store, *["Upgrade Elasticsearch"] * 4))
    )
    while not engine.in_flight:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)  # every copy has been dispatched by now
    assert engine.calls["Upgrade Elasticsearch"] == 1
    engine.release()
    batch = await running
    assert (batch.done, batch.cached, engine.calls["Upgrade Elasticsearch"]) == (4, 3, 1)


async def test_transient_failures_wait_for_a_later_pass_and_then_succeed(store):
    engine = ScriptedEngine()
    engine.fail("Upgrade Elasticsearch", UpstreamUnavailable("rate limited", retry_after=0.0), UpstreamTimeout("slow"))
    batch = await runner_for(store, engine).run(submit(store, "Upgrade Elasticsearch", "Build a chatbot"))
    assert (batch.status, batch.done, batch.failed) == ("done", 2, 0)
    assert engine.calls["Upgrade Elasticsearch"] == 3


async def test_item_failures_are_recorded_never_stop_the_batch_and_can_be_retried(store):
    engine = ScriptedEngine()
    engine.fail("Upgrade Elasticsearch", UpstreamBadOutput("the model's reply was unusable twice"))
    engine.fail("Hire two analysts", *[UpstreamTimeout("the model did not answer in time")] * 3)
    runner = runner_for(store, engine)
    batch_id = submit(store, "Upgrade Elasticsearch", "Build a chatbot", "Hire two analysts")
    batch = await runner.run(batch_id)
    assert (batch.status, batch.done, batch.failed) == ("done", 1, 2)
    assert engine.calls["Upgrade Elasticsearch"] == 1  # not transient: asking again cannot help
    assert engine.calls["Hire two analysts"] == 3  # transient: tried max_attempts times
    failed = [row for row in rows(store, batch_id) if b'"status":"failed"' in row]
    assert b"unusable twice" in failed[0] and b"did not answer in time" in failed[1]

    retried = await runner.run(store.requeue(batch_id).id)
    assert (retried.status, retried.done, retried.failed) == ("done", 3, 0)
    assert engine.calls["Build a chatbot"] == 1
    with pytest.raises(BatchConflict, match="nothing to retry"):
        store.requeue(batch_id)


async def test_a_token_budget_stops_a_runaway_batch_and_a_retry_gets_a_fresh_one(store):
    engine = ScriptedEngine()
    runner = runner_for(store, engine, concurrency=1)
    batch_id = submit(store, *[f"Item {n}" for n in range(10)], token_budget=2 * TOKENS_PER_CALL + 1)
    batch = await runner.run(batch_id)
    assert (batch.status, batch.done, batch.pending) == ("failed", 3, 7)
    assert "token" in batch.error and "budget" in batch.error
    again = await runner.run(store.requeue(batch_id).id)
    assert (again.status, again.done, again.tokens) == ("failed", 6, 6 * TOKENS_PER_CALL)


async def test_cancel_stops_the_calls_in_flight_and_a_retry_finishes_the_batch(store):
    engine = ScriptedEngine(held=True)
    runner = runner_for(store, engine, concurrency=2)
    await runner.start()
    batch_id = submit(store, *[f"Item {n}" for n in range(6)])
    runner.submit(batch_id)
    while engine.in_flight < 2:
        await asyncio.sleep(0.005)
    cancelled = await runner.cancel(batch_id)
    assert (cancelled.status, cancelled.done, engine.cancelled) == ("cancelled", 0, 2)
    engine.release()
    resumed = await runner.run(store.requeue(batch_id).id)
    assert (resumed.status, resumed.done) == ("done", 6)
    with pytest.raises(BatchConflict, match="already ended"):
        store.cancel(batch_id)
    await runner.stop()


async def test_after_a_stop_a_new_runner_sends_only_the_items_never_answered(store):
    before = ScriptedEngine(held=True)
    runner = runner_for(store, before, concurrency=2)
    await runner.start()
    batch_id = submit(store, *[f"Item {n}" for n in range(8)])
    runner.submit(batch_id)
    before.release(4)
    while store.get(batch_id).done < 4 or before.in_flight < 2:
        await asyncio.sleep(0.005)
    await runner.stop()  # shutdown: the batch stays "running"; its two calls in flight are dropped
    batch = store.get(batch_id)
    assert (batch.status, batch.done, before.cancelled) == ("running", 4, 2)
    unanswered = {item.request for item in store.pending_items(batch.seq, after=-1, limit=100)}

    after = ScriptedEngine()
    restarted = runner_for(store, after)
    await restarted.start()
    while store.get(batch_id).status != "done":
        await asyncio.sleep(0.005)
    assert set(after.calls) == unanswered and len(unanswered) == 4
    assert all(count == 1 for count in after.calls.values())
    await restarted.stop()


def test_the_limit_halves_on_a_429_at_most_once_per_retry_after_and_creeps_back():
    now = [0.0]
    limit = AdaptiveLimit(8, clock=lambda: now[0])
    limit.rate_limited(2.0)
    limit.rate_limited(None)  # the same episode: calls in flight all see the 429
    assert limit.current == 4
    now[0] = 2.5
    limit.rate_limited(None)
    assert limit.current == 2
    for _ in range(3):
        limit.rate_limited(None)
        now[0] += 1.0
    assert limit.current == 1  # never below the floor
    for _ in range(40):
        limit.succeeded()
    assert limit.current == 8  # and never above the ceiling


async def test_the_limit_serves_waiters_in_order_and_loses_no_slot_to_a_cancelled_one():
    limit = AdaptiveLimit(1)
    await limit.acquire()
    order: list[str] = []

    async def take(name: str) -> None:
        await limit.acquire()
        order.append(name)

    first, second, third = (asyncio.create_task(take(name)) for name in ("first", "second", "third"))
    await asyncio.sleep(0)
    second.cancel()
    limit.release()
    await first
    limit.release()
    await third
    assert order == ["first", "third"] and limit.in_use == 1


async def test_a_429_from_the_model_lowers_the_batch_concurrency_for_a_while_and_loses_nothing(store):
    with run_mock_model() as model:
        model.script([{"status": 429, "headers": {"retry-after": "0"}}])
        client = build_client(api_key=None, base_url=model.base_url, timeout=5.0)
        engine = OpenAIEngine(
            client=client, model="mock-model", library=default_library(), retry=RetryPolicy(initial_wait=0.01)
        )
        runner = BatchRunner(store, RewritePipeline(engine), concurrency=4, retry_delay=0.0)
        seen_after_429: list[int] = []
        engine.rate_limit_listeners.append(lambda retry_after: seen_after_429.append(runner.limit.current))
        try:
            batch = await runner.run(submit(store, *[f"Improve search number {n}" for n in range(6)]))
        finally:
            await client.close()
        assert model.stats()["rejected"] == 1
    assert (batch.done, batch.failed) == (6, 0)
    assert seen_after_429 == [2]  # halved by the 429 ...
    assert runner.limit.current == 4  # ... and raised again by the successes that followed


async def test_one_runner_per_database_file_a_second_stands_by_and_takes_over_when_the_first_stops(
    tmp_path, monkeypatch
):
    from rewriter.batch import runner as runner_module
    from rewriter.batch.errors import BatchConflict as Conflict

    monkeypatch.setattr(runner_module, "STORE_POLL_SECONDS", 0.02)
    first_store, second_store = BatchStore(tmp_path / "shared.db"), BatchStore(tmp_path / "shared.db")
    first_engine, second_engine = ScriptedEngine(), ScriptedEngine()
    first, second = runner_for(first_store, first_engine), runner_for(second_store, second_engine)

    async def until_done(batch_id: str) -> None:
        for _ in range(300):
            if second_store.get(batch_id).status == "done":
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"batch {batch_id} is {second_store.get(batch_id).status}")

    try:
        await first.start()
        await second.start()  # stands by: the first holds the file
        early = submit(second_store, "Upgrade Elasticsearch", "Build a chatbot")
        second.submit(early)  # what the second server's handler does: nothing runs here ...
        with pytest.raises(Conflict, match="is running the batches of"):
            await second.run(early)
        await until_done(early)  # ... the first finds it in the file and runs it
        assert sum(first_engine.calls.values()) == 2 and not second_engine.calls
        await first.stop()  # releases the file: the second takes over
        late = submit(second_store, "Hire two analysts")
        second.submit(late)
        await until_done(late)
        assert second_engine.calls == {"Hire two analysts": 1}
        assert first.lock.held is False and second.lock.held is True
    finally:
        await second.stop()
        first_store.close()
        second_store.close()


async def test_the_runner_picks_up_batches_another_process_stored_or_cancelled_in_its_file(tmp_path, monkeypatch):
    from rewriter.batch import runner as runner_module

    monkeypatch.setattr(runner_module, "STORE_POLL_SECONDS", 0.02)
    engine = ScriptedEngine(held=True)
    owner_store, other_store = BatchStore(tmp_path / "shared.db"), BatchStore(tmp_path / "shared.db")
    owner = runner_for(owner_store, engine)
    try:
        await owner.start()
        stored_elsewhere = submit(other_store, "Upgrade Elasticsearch")  # as another server's handler would
        for _ in range(200):
            if engine.in_flight:
                break
            await asyncio.sleep(0.01)
        assert engine.calls["Upgrade Elasticsearch"] == 1  # the owner found it and started it
        other_store.cancel(stored_elsewhere)  # a cancel made in the other process ...
        for _ in range(200):
            if not engine.in_flight:
                break
            await asyncio.sleep(0.01)
        assert engine.cancelled == 1  # ... stops the call running here
        assert owner_store.get(stored_elsewhere).status == "cancelled"
    finally:
        await owner.stop()
        owner_store.close()
        other_store.close()
