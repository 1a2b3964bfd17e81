"""HTTP and wiring only: the Litestar app, its controllers and DTOs, config and the CLI."""
