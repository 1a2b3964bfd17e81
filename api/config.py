"""Settings from the environment: one field per variable, and the README's table made from them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import msgspec.inspect
from msgspec import Meta

_PER_PERIOD = r"^\d+(/(second|minute|hour|day))?$"  # "600/minute"; a bare count is per minute


def _about(text: str, *, shown_default: str | None = None, **limits: Any) -> Meta:
    """A setting's meaning (the README's configuration table is generated from these)."""
    return Meta(description=text, extra={"shown_default": shown_default} if shown_default else None, **limits)


class Settings(msgspec.Struct, kw_only=True):
    """Every setting, read from the environment by :func:`load_settings`.

    A field's variable is its name in capitals with ``REALISE_`` in front (:func:`env_name`),
    except the model's connection, which keeps the OpenAI SDK's own names so existing set-ups
    just work. ``python -m api.config`` writes the README's table from these fields.
    """

    # The model.
    openai_api_key: Annotated[str | None, _about("key for the model server (the SDK's own variable)")] = None
    openai_base_url: Annotated[
        str | None, _about("any OpenAI-compatible server (table below)", shown_default="OpenAI")
    ] = None
    model: Annotated[
        str | None,
        _about(
            "model name; setting it, a key or a base URL switches the model engine on", shown_default="`gpt-4o-mini`"
        ),
    ] = None
    engine: Annotated[
        Literal["auto", "offline", "openai"],
        _about("`auto` (model when configured, else offline), `offline`, `openai`"),
    ] = "auto"
    fallback: Annotated[
        Literal["none", "offline"],
        _about("`offline`: when the model fails, answer with the offline engine (the response's `engine` says so)"),
    ] = "none"
    # How the server takes a schema (rewriter/llm.py PROFILES).
    model_profile: Annotated[
        Literal["auto", "openai", "llamacpp", "vllm", "ollama"],
        _about(
            "how the server takes a JSON Schema: `openai`, `llamacpp`, `vllm`, `ollama` (table below); `auto` asks "
            "`GET /models` once who serves"
        ),
    ] = "auto"
    model_check: Annotated[
        Literal["strict", "warn", "off"],
        _about(
            "`strict`: a model name the server's `GET /models` does not list is refused (502, `/ready` degraded); "
            "`warn`: logged only; `off`: not asked (Azure lists base models, not deployments)"
        ),
    ] = "strict"
    model_timeout: Annotated[float, _about("seconds per model call")] = 30.0
    retry_attempts: Annotated[int, _about("attempts per model call (429, 5xx, timeouts, connection errors)", ge=1)] = 4
    retry_budget: Annotated[float, _about("seconds for all attempts and waits of one call")] = 60.0
    max_tokens: Annotated[int, _about("cap on the completion tokens any template may ask for", ge=1)] = 2000
    request_deadline: Annotated[
        float, _about("seconds a rewrite may take end to end (then 504, and the model call is cancelled)")
    ] = 90.0
    circuit_threshold: Annotated[
        int,
        _about(
            "consecutive model failures that open the circuit (fail fast or fall back; `/ready` says `degraded`)", ge=1
        ),
    ] = 5
    circuit_cooldown: Annotated[float, _about("seconds the circuit stays open before one trial call")] = 30.0
    # Access and limits.
    api_keys: Annotated[
        str | None,
        _about(
            "comma-separated API keys; when set (or the file below), every `/v1` route needs `Authorization: Bearer "
            "KEY` or `X-API-Key: KEY`"
        ),
    ] = None
    api_keys_file: Annotated[
        str | None, _about('file of SHA-256 hex digests of keys, one per line (`printf %s "$KEY" | sha256sum`)')
    ] = None
    admin_api_keys: Annotated[
        str | None,
        _about(
            "comma-separated admin keys: valid keys that also see, retry and cancel every key's batches (others see "
            "only their own)"
        ),
    ] = None
    failed_auth_limit: Annotated[
        str,
        _about(
            "failed authentications allowed per client address (then 429 until the window ends); `0` disables",
            pattern=_PER_PERIOD,
        ),
    ] = "10/minute"
    cors_origins: Annotated[
        str | None,
        _about(
            "comma-separated allowed origins, e.g. `chrome-extension://<id>,moz-extension://<id>,https://plans.example`"
        ),
    ] = None
    rate_limit: Annotated[
        str, _about("per API key (per client address when keys are off); `0` disables", pattern=_PER_PERIOD)
    ] = "600/minute"
    # Evaluators and storage.
    rules_file: Annotated[
        str | None, _about("TOML overriding rule severities, weights, enabled rules, key-result range")
    ] = None
    rule_plugins: Annotated[
        bool,
        _about(
            "`0` starts without the rules installed plugins add (entry point group `realise.rules`)", shown_default="on"
        ),
    ] = True
    db_path: Annotated[
        str, _about("SQLite file for feedback, batches and their results cache (unless the next is set)")
    ] = "realise.db"
    database_url: Annotated[
        str | None,
        _about(
            "PostgreSQL (`postgresql://user:password@host:5432/db`) shared by several machines: batches, the results "
            "cache "
            "and feedback live there, and `realise worker` processes run batch items as jobs (docs/operations.md)"
        ),
    ] = None
    worker_timeout: Annotated[
        float,
        _about(
            "seconds without a heartbeat after which a `realise worker` counts as dead and its items in progress are "
            "queued again",
            ge=2,
            le=3600,
        ),
    ] = 15.0
    batch_concurrency: Annotated[
        int,
        _about(
            "model calls in flight across all batches, and with a database URL across every worker on every machine "
            "(lowered while the provider answers 429)",
            ge=1,
            le=1000,
        ),
    ] = 8
    batch_max_items: Annotated[int, _about("items one batch may hold", ge=1)] = 10_000
    web_workers: Annotated[
        int,
        _about(
            "processes serving HTTP (`realise serve --workers` overrides); rate limits and the circuit breaker are "
            "per process",
            ge=1,
            le=64,
        ),
    ] = 1
    batch_workers: Annotated[
        int,
        _about(
            "worker processes that compute batch items (model call, judging); `0`: in the server's own process. Each "
            "holds its own connection pool and circuit breaker; the limit above stays global",
            ge=0,
            le=64,
        ),
    ] = 0
    # The command line as a client of a server.
    api_key: Annotated[str | None, _about("the key `realise batch --url` sends (instead of `--api-key`)")] = None
    # Logging.
    log_format: Annotated[
        Literal["auto", "json", "console"], _about("`json` lines, `console`, or `auto` (JSON when not on a terminal)")
    ] = "auto"
    log_level: Annotated[str, _about("log level")] = "INFO"

    @property
    def uses_model(self) -> bool:
        if self.engine == "offline":
            return False
        if self.engine == "openai":
            return True
        return bool(self.model or self.openai_base_url or self.openai_api_key)

    @property
    def database(self) -> str:
        """Where the data lives: the PostgreSQL URL, else the SQLite file."""
        return self.database_url or self.db_path

    @property
    def model_name(self) -> str:
        return self.model or "gpt-4o-mini"


def env_name(field: str) -> str:
    """The environment variable of a setting: the model's connection keeps the SDK's names."""
    return field.upper() if field.startswith("openai_") else "REALISE_" + field.upper()


ENV_NAMES: dict[str, str] = {field: env_name(field) for field in Settings.__struct_fields__}


class ConfigError(ValueError):
    """A setting has a value we cannot use; raised at start-up, naming the variable."""


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    raw = {field: environ[var] for field, var in ENV_NAMES.items() if environ.get(var, "").strip()}
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("$.", 1)[-1].rstrip("`")
        raise ConfigError(f"{ENV_NAMES.get(field, field)}: {exc}") from exc


# --- the README's table -----------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE_START, TABLE_END = "<!-- settings table: python -m api.config -->", "<!-- end of settings table -->"


def _shown_default(field: msgspec.inspect.Field) -> str:
    meta = field.type if isinstance(field.type, msgspec.inspect.Metadata) else None
    if meta is not None and meta.extra and meta.extra.get("shown_default"):
        return str(meta.extra["shown_default"])
    if field.default is None:
        return "—"
    return f"`{field.default:g}`" if isinstance(field.default, float) else f"`{field.default}`"


def settings_table() -> str:
    """The README's configuration table, one row per setting, from the fields' descriptions."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in msgspec.inspect.type_info(Settings).fields:  # type: ignore[attr-defined]
        meta = field.type if isinstance(field.type, msgspec.inspect.Metadata) else None
        meaning = (meta.extra_json_schema or {}).get("description", "") if meta else ""
        rows.append(f"| `{env_name(field.name)}` | {_shown_default(field)} | {meaning.replace('|', chr(92) + '|')} |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    before, rest = readme.split(TABLE_START, 1)
    _, after = rest.split(TABLE_END, 1)
    return f"{before}{TABLE_START}\n{settings_table()}\n{TABLE_END}{after}"


if __name__ == "__main__":
    README.write_text(readme_with_table(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the settings table in {README}")
