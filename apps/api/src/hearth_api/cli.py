"""The ``hearth`` command: serve, migrate, openapi (and seed, once the benchmark lands)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence

from hearth_platform.database import EmbeddedPostgres
from hearth_platform.logging import configure_logging
from hearth_platform.settings import Settings


def _database_url(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir)
    return embedded.start(), embedded


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from . import migrate

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    url, embedded = _database_url(settings)
    metrics_dir: str | None = None
    try:
        if embedded is not None or args.migrate:
            migrate.upgrade(url)
        os.environ["HEARTH_DATABASE_URL"] = url  # workers use the server started here
        if args.workers > 1 and not settings.redis_url:
            os.environ["HEARTH_PROCESS_CACHE"] = "false"  # no cache shared across workers without Redis
        if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            metrics_dir = tempfile.mkdtemp(prefix="hearth-metrics-")
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        uvicorn.run(
            "hearth_api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            access_log=False,
            proxy_headers=args.proxy_headers,
            timeout_graceful_shutdown=10,
        )
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn has already shut down gracefully and re-raised the signal
    finally:
        # Stopping the database must not be cut short by another Ctrl-C (`uv run` forwards the terminal's
        # SIGINT to us a second time): the process ends right after this anyway.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if embedded is not None:
            embedded.stop()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from . import migrate

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    url, embedded = _database_url(settings)
    try:
        if args.down:
            migrate.downgrade(url, args.revision)
        else:
            migrate.upgrade(url, args.revision)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from .app import create_app

    app = create_app(Settings(), configure_logs=False)
    json.dump(app.openapi(), sys.stdout, indent=2 if args.indent else None, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth", description="Hearth API server and tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API (embedded PostgreSQL when HEARTH_DATABASE_URL is unset)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--migrate", action="store_true", help="also migrate an external database (the embedded one always is)"
    )
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* from the proxy")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply migrations (default: upgrade to head)")
    mig.add_argument("revision", nargs="?", default="head")
    mig.add_argument("--down", action="store_true", help="downgrade to REVISION instead")
    mig.set_defaults(func=cmd_migrate)

    oa = sub.add_parser("openapi", help="print the OpenAPI schema as JSON")
    oa.add_argument("--indent", action="store_true")
    oa.set_defaults(func=cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
