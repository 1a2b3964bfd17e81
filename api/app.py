"""The one app factory, and the plugin that wires everything into it."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins import InitPluginProtocol

from api.config import Settings, load_settings
from api.controllers import ALL_CONTROLLERS
from api.errors import EXCEPTION_HANDLERS
from api.observability import RequestLogMiddleware, configure_logging
from api.services import Services, build_services
from rewriter.pipeline import Engine

VERSION = "0.1.0"


def _services(state: State) -> Services:
    return state.services


class RealisePlugin(InitPluginProtocol):
    """Routes, dependencies, error mapping, OpenAPI and lifecycle, in one place."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(ALL_CONTROLLERS)
        app_config.dependencies["services"] = Provide(_services, sync_to_thread=False)
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.state["services"] = self.services
        app_config.on_shutdown.append(self.services.close)
        app_config.openapi_config = OpenAPIConfig(
            title="realise",
            version=VERSION,
            description="Turn output-style requests into outcome objectives with key results, judged by rules. "
            "All text fields are plain text: render them as text, never as HTML.",
            path="/schema",
            use_handler_docstrings=True,
        )
        return app_config


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(
        fmt=settings.log_format, level=settings.log_level, secrets=[settings.openai_api_key or ""]
    )
    app = Litestar(plugins=[RealisePlugin(build_services(settings, engine=engine))], debug=False)
    # Wrap the whole ASGI handler (not route middleware) so 404s and 405s get a request id and a log line too.
    app.asgi_handler = RequestLogMiddleware(app.asgi_handler)
    return app
