"""`realise mcp` as an assistant meets it: a subprocess spoken to by the MCP SDK's own stdio client."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from support.servers import PROJECT_ROOT


@asynccontextmanager
async def realise_mcp(tmp_path: Path) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "api.cli", "mcp"],
        # The client passes only a safe default environment, so the server sees exactly these.
        env={"REALISE_ENGINE": "offline", "REALISE_DB_PATH": str(tmp_path / "mcp.db")},
        cwd=PROJECT_ROOT,
    )
    with (tmp_path / "mcp-stderr.log").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def test_lists_both_tools_and_calls_them(tmp_path: Path) -> None:
    objective = "Migrate to Kubernetes"
    async with realise_mcp(tmp_path) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        rewritten = await session.call_tool(
            "rewrite",
            {"request": "Upgrade Elasticsearch", "context": "It is out of support and eats our time", "candidates": 2},
        )
        evaluated = await session.call_tool(
            "evaluate", {"objective": objective, "key_results": ["Migrate 40 services"]}
        )

    assert set(tools) == {"rewrite", "evaluate"}
    assert tools["rewrite"].input_schema["required"] == ["request"]
    assert tools["rewrite"].input_schema["properties"]["candidates"]["maximum"] == 5
    assert tools["evaluate"].input_schema["required"] == ["objective"]
    assert tools["evaluate"].annotations.read_only_hint is True

    assert not rewritten.is_error, rewritten.content
    body = rewritten.structured_content
    assert body["assessment"]["kind"] == "output"
    assert body["engine"]["provider"] == "offline"
    assert [c["rank"] for c in body["candidates"]] == [1, 2]
    assert body["candidates"][0]["score"] >= body["candidates"][1]["score"]
    assert len(body["candidates"][0]["key_results"]) == 3

    assert not evaluated.is_error, evaluated.content
    judged = evaluated.structured_content["objective"]
    assert judged["kind"] == "output"
    spans = [f["span"] for f in judged["findings"] if f["code"] == "output_verb"]
    assert spans and objective[spans[0][0] : spans[0][1]] == "Migrate"


async def test_input_the_api_refuses_is_a_tool_error_naming_the_field(tmp_path: Path) -> None:
    async with realise_mcp(tmp_path) as session:
        blank_request = await session.call_tool("rewrite", {"request": "   "})
        too_many_key_results = await session.call_tool(
            "evaluate", {"objective": "Grow revenue", "key_results": ["x"] * 11}
        )

    assert blank_request.is_error and "$.request" in blank_request.content[0].text
    assert too_many_key_results.is_error and "$.key_results" in too_many_key_results.content[0].text
