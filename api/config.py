"""Settings from the environment. Every knob is listed in the README's configuration table."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec
from msgspec import Meta


class Settings(msgspec.Struct, kw_only=True):
    # The model. The SDK's own variable names, so existing set-ups just work.
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    model: str | None = None
    # "auto": the model when one is configured, else offline. "offline" forces offline.
    engine: Literal["auto", "offline", "openai"] = "auto"
    fallback: Literal["none", "offline"] = "none"
    # How the server takes a schema (rewriter/llm.py PROFILES); "auto" asks GET /models who serves.
    model_profile: Literal["auto", "openai", "llamacpp", "vllm", "ollama"] = "auto"
    # "strict": refuse a model the server does not list (GET /models); "warn": log it and go on;
    # "off": do not ask (Azure lists base models, not deployment names).
    model_check: Literal["strict", "warn", "off"] = "strict"
    model_timeout: float = 30.0
    retry_attempts: int = 4
    retry_budget: float = 60.0
    max_tokens: int = 2000  # cap on what any template may ask the model for
    circuit_threshold: int = 5  # consecutive model failures that open the circuit
    circuit_cooldown: float = 30.0  # seconds the circuit stays open before a trial call
    request_deadline: float = 90.0  # seconds a rewrite may take end to end
    # Access and limits.
    api_keys: str | None = None
    api_keys_file: str | None = None
    cors_origins: str | None = None  # comma-separated; chrome-extension://ID and moz-extension://ID allowed
    rate_limit: str = "600/minute"  # per API key (per client address when keys are off); "0" disables
    # Evaluators and storage.
    rules_file: str | None = None
    db_path: str = "realise.db"  # feedback, and batches with their results cache
    batch_concurrency: Annotated[int, Meta(ge=1, le=1000)] = 8  # model calls in flight across all batches (the AIMD ceiling)
    batch_max_items: Annotated[int, Meta(ge=1)] = 10_000
    # Child processes that compute batch items (model call, judging); 0: in the server's own process.
    batch_workers: Annotated[int, Meta(ge=0, le=64)] = 0
    # Processes that serve HTTP (`realise serve`); each has its own rate limits and circuit breaker.
    web_workers: Annotated[int, Meta(ge=1, le=64)] = 1
    # Logging: "auto" is JSON lines when stderr is not a terminal, readable otherwise.
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    @property
    def uses_model(self) -> bool:
        if self.engine == "offline":
            return False
        if self.engine == "openai":
            return True
        return bool(self.model or self.openai_base_url or self.openai_api_key)

    @property
    def model_name(self) -> str:
        return self.model or "gpt-4o-mini"


_ENV: dict[str, str] = {
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "model": "REALISE_MODEL",
    "engine": "REALISE_ENGINE",
    "fallback": "REALISE_FALLBACK",
    "model_profile": "REALISE_MODEL_PROFILE",
    "model_check": "REALISE_MODEL_CHECK",
    "model_timeout": "REALISE_MODEL_TIMEOUT",
    "retry_attempts": "REALISE_RETRY_ATTEMPTS",
    "retry_budget": "REALISE_RETRY_BUDGET",
    "max_tokens": "REALISE_MAX_TOKENS",
    "circuit_threshold": "REALISE_CIRCUIT_THRESHOLD",
    "circuit_cooldown": "REALISE_CIRCUIT_COOLDOWN",
    "request_deadline": "REALISE_REQUEST_DEADLINE",
    "api_keys": "REALISE_API_KEYS",
    "api_keys_file": "REALISE_API_KEYS_FILE",
    "cors_origins": "REALISE_CORS_ORIGINS",
    "rate_limit": "REALISE_RATE_LIMIT",
    "rules_file": "REALISE_RULES_FILE",
    "db_path": "REALISE_DB_PATH",
    "batch_concurrency": "REALISE_BATCH_CONCURRENCY",
    "batch_max_items": "REALISE_BATCH_MAX_ITEMS",
    "batch_workers": "REALISE_BATCH_WORKERS",
    "web_workers": "REALISE_WEB_WORKERS",
    "log_format": "REALISE_LOG_FORMAT",
    "log_level": "REALISE_LOG_LEVEL",
}


class ConfigError(ValueError):
    """A setting has a value we cannot use; raised at start-up, naming the variable."""


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    raw = {field: environ[var] for field, var in _ENV.items() if environ.get(var, "").strip()}
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("$.", 1)[-1].rstrip("`")
        raise ConfigError(f"{_ENV.get(field, field)}: {exc}") from exc
