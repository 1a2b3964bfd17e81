"""The one app factory, and the plugin that wires everything into it."""

from __future__ import annotations

import gc
from pathlib import Path

import structlog
import swagger_ui
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins import InitPluginProtocol
from litestar.static_files import create_static_files_router

from api.config import Settings, load_settings
from api.controllers import ALL_CONTROLLERS
from api.errors import EXCEPTION_HANDLERS
from api.json_body import JsonBodyRequest
from api.metrics import LIVE_STATE, PROMETHEUS, MetricsController, record_model_call
from api.observability import RequestLogMiddleware, configure_logging
from api.schemas import close_strict_objects
from api.security import ApiKeyMiddleware, FailedAuthLimit, ResponseHardening, client_identity, principal_of
from api.services import Services, build_services
from evaluators import prepare as prepare_evaluators
from rewriter.pipeline import Engine

VERSION = "0.1.0"
PLAYGROUND_DIR = Path(__file__).resolve().parent / "static"
# The API viewer at /schema is Swagger UI from the swagger-ui-py wheel, served from here: it
# works offline and behind firewalls, and no third-party CDN sees who reads the docs.
SWAGGER_UI_DIR = Path(swagger_ui.__file__).resolve().parent / "static"
VIEWER_ASSETS = "/schema/assets"


def _services(state: State) -> Services:
    return state.services


def _is_api_request(request: Request) -> bool:
    return request.url.path.startswith("/v1/")


def rate_limit_middleware(spec: str) -> list[DefineMiddleware]:
    """``"600/minute"`` → Litestar's rate-limit middleware, keyed per API key or client address."""
    count, _, unit = spec.partition("/")
    if int(count) <= 0:
        return []
    config = RateLimitConfig(
        rate_limit=(unit or "minute", int(count)),  # type: ignore[arg-type]
        identifier_for_request=client_identity,
        check_throttle_handler=_is_api_request,  # only the API is limited; health checks and docs never are
    )
    return [config.middleware]


def _per_period(spec: str) -> tuple[int, float]:
    """``"600/minute"`` → (600, 60.0)."""
    count, _, unit = spec.partition("/")
    return int(count), {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}[unit or "minute"]


def failed_auth_limit(spec: str) -> FailedAuthLimit | None:
    count, window = _per_period(spec)
    return FailedAuthLimit(count, window) if count > 0 else None


class RealisePlugin(InitPluginProtocol):
    """Routes, dependencies, error mapping, OpenAPI and lifecycle, in one place."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend([*ALL_CONTROLLERS, MetricsController])
        # The playground at "/". Litestar matches literal paths before this catch-all
        # {file_path:path} route, so /v1, /health and /schema still reach their handlers.
        app_config.route_handlers.append(
            create_static_files_router(path="/", directories=[PLAYGROUND_DIR], html_mode=True, name="playground")
        )
        app_config.route_handlers.append(
            create_static_files_router(
                path=VIEWER_ASSETS, directories=[SWAGGER_UI_DIR], name="api-viewer", include_in_schema=False
            )
        )
        settings = self.services.settings
        # Order matters: metrics see every request, keys are checked before anything is counted
        # against a client's rate limit, and the limit is per key.
        app_config.middleware.extend(
            [
                PROMETHEUS.middleware,
                ApiKeyMiddleware(self.services.api_keys, failed_auth_limit(settings.failed_auth_limit)),
                *rate_limit_middleware(settings.rate_limit),
            ]
        )
        if settings.cors_origins:
            app_config.cors_config = CORSConfig(
                allow_origins=[o.strip() for o in settings.cors_origins.split(",") if o.strip()],
                allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                allow_headers=["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key", "X-Request-ID"],
                expose_headers=[
                    "RateLimit-Limit",
                    "RateLimit-Remaining",
                    "RateLimit-Reset",
                    "RateLimit-Policy",
                    "Retry-After",
                    "X-Request-ID",
                ],
            )
        self.services.pipeline.observers.append(record_model_call)
        LIVE_STATE.circuit_state = lambda: self.services.pipeline.circuit.state
        LIVE_STATE.batch_item_counts = self.services.batch_store.item_counts
        app_config.dependencies["services"] = Provide(_services, sync_to_thread=False)
        app_config.dependencies["principal"] = Provide(principal_of, sync_to_thread=False)
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.request_class = JsonBodyRequest
        app_config.state["services"] = self.services
        # Unfinished batches resume on start-up; close() stops them (their in-flight items stay pending).
        app_config.on_startup.append(self.services.batch_runner.start)
        app_config.on_startup.append(self.services.check_model_server)
        app_config.on_shutdown.append(self.services.close)
        app_config.openapi_config = OpenAPIConfig(
            title="realise",
            version=VERSION,
            description="Turn output-style requests into outcome objectives with key results, judged by rules. "
            "All text fields are plain text: render them as text, never as HTML.",
            path="/schema",
            use_handler_docstrings=True,
            render_plugins=[
                SwaggerRenderPlugin(
                    path="/",
                    js_url=f"{VIEWER_ASSETS}/swagger-ui-bundle.js",
                    standalone_preset_js_url=f"{VIEWER_ASSETS}/swagger-ui-standalone-preset.js",
                    css_url=f"{VIEWER_ASSETS}/swagger-ui.css",
                    favicon=f"<link rel='icon' type='image/png' href='{VIEWER_ASSETS}/favicon-32x32.png'>",
                )
            ],
        )
        return app_config


def create_served_app(settings: Settings | None = None) -> Litestar:
    """The app as ``realise serve`` runs it, in each of its processes: for as long as it serves."""
    app = create_app(settings)
    # The evaluators' dictionaries (word frequencies, lemmas, language models) load now, not
    # on the first request that needs them, and are frozen below with everything else.
    prepare_evaluators()
    # What exists now (modules, the SDK's pydantic models, templates, lexicons) lives as long
    # as the server. Frozen, it is no longer re-scanned by every full collection: unfrozen,
    # those scans paused the event loop for 150-250 ms every few seconds under load.
    gc.collect()
    gc.freeze()
    return app


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(
        fmt=settings.log_format,
        level=settings.log_level,
        secrets=[
            settings.openai_api_key or "",
            *(settings.api_keys or "").split(","),
            *(settings.admin_api_keys or "").split(","),
        ],
    )
    services = build_services(settings, engine=engine)
    if not services.api_keys.enabled:
        structlog.get_logger("realise.security").warning(
            "api_keys_not_configured",
            detail="The /v1 API is OPEN to anyone who can reach it. Set REALISE_API_KEYS or REALISE_API_KEYS_FILE.",
        )
    # logging_config=None: Litestar would give the root logger its own plain-text handler;
    # configure_logging's handler renders every stdlib logger as our lines instead.
    app = Litestar(plugins=[RealisePlugin(services)], debug=False, logging_config=None)
    close_strict_objects(app.openapi_schema)
    # Wrap the whole ASGI handler (not route middleware) so 404s and 405s get a request id and a log line too.
    app.asgi_handler = RequestLogMiddleware(ResponseHardening(app.asgi_handler, cors=bool(settings.cors_origins)))
    return app
