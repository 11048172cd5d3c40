"""The ``hearth`` command: serve, worker, migrate, seed, openapi, admin."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

# Only the standard library up here: `hearth --help` answers without importing the app; each command
# imports what it uses.
if TYPE_CHECKING:
    from hearth_platform.database import EmbeddedPostgres
    from hearth_platform.settings import Settings


def _settings() -> Settings:
    from hearth_platform.logging import configure_logging
    from hearth_platform.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _database_url(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    from hearth_platform.database import EmbeddedPostgres
    from hearth_platform.embedded import EmbeddedPostgresMissing, require_embedded_postgres

    if settings.database_url:
        return settings.database_url, None
    try:
        require_embedded_postgres()
    except EmbeddedPostgresMissing as exc:
        raise SystemExit(f"hearth: {exc}") from None
    embedded = EmbeddedPostgres(settings.data_dir)
    return embedded.start(), embedded


LOOPBACK_PROXIES = ("127.0.0.1", "::1")
"""What ``--proxy-headers`` trusts: a reverse proxy on this host."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def served_base_url(host: str, port: int) -> str:
    """Where a client on this machine reaches ``hearth serve --host host --port port``."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - every interface: loopback among them
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def serve_refusal(settings: Settings, host: str) -> str | None:
    """Why ``hearth serve`` will not serve on ``host`` with these settings, if it will not."""
    if not is_loopback(host) and not settings.secret_key_configured:
        return (
            f"refusing to serve on {host} with this install's own secret key: set HEARTH_SECRET_KEY (the same "
            "random value on every instance) to serve beyond this machine, or serve on 127.0.0.1"
        )
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from . import migrate

    if args.reload and args.workers > 1:
        print("hearth serve: --reload runs one worker; leave out --workers", file=sys.stderr)
        return 2
    settings = _settings()
    refusal = serve_refusal(settings, args.host)
    if refusal is not None:
        print(f"hearth serve: {refusal}", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.database_replica_urls and not settings.redis_url:
        # a user's write on one worker must send their next read, on any worker, to where that write is
        print(
            "hearth serve: read replicas with several workers need HEARTH_REDIS_URL (the write marks that keep "
            "read-your-writes are shared there)",
            file=sys.stderr,
        )
        return 2
    if not settings.public_base_url_configured:  # media URLs point at the port actually served
        os.environ["HEARTH_PUBLIC_BASE_URL"] = served_base_url(args.host, args.port)
    proxies = [*settings.trusted_proxies, *(LOOPBACK_PROXIES if args.proxy_headers else ())]
    url, embedded = _database_url(settings)
    metrics_dir: str | None = None
    try:
        if embedded is not None or args.migrate:
            migrate.upgrade(url)
        os.environ["HEARTH_DATABASE_URL"] = url  # workers use the server started here
        if args.no_worker:  # jobs are left to `hearth worker` processes
            os.environ["HEARTH_JOBS_IN_PROCESS"] = "false"
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
            reload=args.reload,
            log_config=None,
            access_log=False,
            # the client address (rate limits per address, the access line) from X-Forwarded-For, and the
            # scheme from X-Forwarded-Proto, only when the peer is one of these proxies
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            timeout_graceful_shutdown=10,
            # a spawned worker answers the supervisor's ping only once it has re-imported this module (and
            # with it the whole app): on a busy host that takes longer than uvicorn's 5 s default, and the
            # supervisor would kill and respawn every worker forever
            timeout_worker_healthcheck=30,
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


def cmd_worker(args: argparse.Namespace) -> int:
    """Run jobs until SIGINT or SIGTERM: the app's lifespan (database, container, job engine) with its
    in-process worker, and no HTTP."""
    from . import migrate
    from .app import create_app

    settings = _settings()
    url, embedded = _database_url(settings)
    try:
        if embedded is not None or args.migrate:
            migrate.upgrade(url)
        overrides: dict[str, object] = {"database_url": url, "jobs_in_process": True}
        if args.concurrency:
            overrides["jobs_concurrency"] = args.concurrency
        if args.queue:
            overrides["jobs_queues"] = args.queue
        app = create_app(settings.model_copy(update=overrides), configure_logs=False)
        asyncio.run(_work(app))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as serve: stopping the database is not cut short
        if embedded is not None:
            embedded.stop()
    return 0


async def _work(app: object) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        print("hearth worker: running jobs (Ctrl-C to stop)", file=sys.stderr)
        await stop.wait()
    with contextlib.suppress(Exception):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def cmd_admin(args: argparse.Namespace) -> int:
    """Operators' commands, on the app's own services (one unit of work each, committed at its end)."""
    from . import admin

    settings = _settings()
    url, embedded = _database_url(settings)
    try:
        if embedded is not None:
            from . import migrate

            migrate.upgrade(url)
        return admin.run(settings.model_copy(update={"database_url": url, "jobs_in_process": False}), args)
    finally:
        if embedded is not None:
            embedded.stop()


def cmd_migrate(args: argparse.Namespace) -> int:
    from . import migrate

    settings = _settings()
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


def cmd_seed(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import seed

    settings = _settings()
    if settings.env == "production":
        print("hearth seed: refusing to run with HEARTH_ENV=production (it replaces the data)", file=sys.stderr)
        return 2
    size = seed.SIZES[args.size].override(
        users=args.users, posts=args.posts, comments=args.comments, days=args.days, tokens=args.tokens
    )
    url, embedded = _database_url(settings)
    options = seed.SeedOptions(
        users=size.users,
        posts=size.posts,
        comments=size.comments,
        seed=args.seed,
        days=size.days,
        tokens=size.tokens,
        tokens_file=Path(args.tokens_file),
        reset=args.reset,
        now=seed.now_arg(args.now) if args.now else None,
    )
    try:
        seed.run(url, options)
    except seed.SeedError as exc:
        print(f"hearth seed: {exc}", file=sys.stderr)
        return 2
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from hearth_platform.settings import Settings

    from .app import create_app

    app = create_app(Settings(), configure_logs=False)
    json.dump(app.openapi(), sys.stdout, indent=2 if args.indent else None, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    defaults = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Hearth API server and tools. Settings come from HEARTH_* variables and .env (see .env.example).",
        formatter_class=defaults,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="serve the API (embedded PostgreSQL when HEARTH_DATABASE_URL is unset)",
        description="Serve the API. Without HEARTH_DATABASE_URL it starts (and migrates) an embedded PostgreSQL "
        "under HEARTH_DATA_DIR.",
        formatter_class=defaults,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development; one worker)")
    serve.add_argument(
        "--migrate", action="store_true", help="also migrate an external database (the embedded one always is)"
    )
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from a proxy on this host (loopback); HEARTH_TRUSTED_PROXIES names others",
    )
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="run no job worker in the server's processes (jobs are then left to `hearth worker`)",
    )
    serve.set_defaults(func=cmd_serve)

    work = sub.add_parser(
        "worker", help="run jobs (mail, erasure, exports, purges) until stopped", formatter_class=defaults
    )
    work.add_argument("--concurrency", type=int, default=0, help="jobs run at once (default HEARTH_JOBS_CONCURRENCY)")
    work.add_argument(
        "--queue", action="append", default=[], help="take jobs from this queue only (repeatable; default: all)"
    )
    work.add_argument("--migrate", action="store_true", help="also migrate an external database first")
    work.set_defaults(func=cmd_worker)

    from .admin import add_parser as add_admin_parser  # the standard library only, as this module

    add_admin_parser(sub, cmd_admin, defaults)

    mig = sub.add_parser("migrate", help="apply migrations (default: upgrade to head)", formatter_class=defaults)
    mig.add_argument("revision", nargs="?", default="head")
    mig.add_argument("--down", action="store_true", help="downgrade to REVISION instead")
    mig.set_defaults(func=cmd_migrate)

    sd = sub.add_parser(
        "seed",
        help="load a realistic, deterministic network into an empty database (migrates first)",
        formatter_class=defaults,
    )
    sd.add_argument(
        "--size",
        choices=("demo", "bench"),  # seed.SIZES (not imported to parse arguments)
        default="demo",
        help="demo: 200 users to look around as (default); bench: the benchmark's 20,000 users, 1,000,000 posts",
    )
    sd.add_argument("--users", type=int, help="overrides the size's")
    sd.add_argument("--posts", type=int, help="overrides the size's")
    sd.add_argument("--comments", type=int, help="overrides the size's")
    sd.add_argument("--seed", type=int, default=42)
    sd.add_argument("--days", type=int, help="posts spread over this many days up to --now (demo 30, bench 90)")
    sd.add_argument("--tokens", type=int, help="users given a bearer token, plus growth viewers (demo 5, bench 2,000)")
    sd.add_argument("--tokens-file", default=".hearth/seed-tokens.json", help="where the tokens are written")
    sd.add_argument("--now", help="ISO time the dataset ends at (default: the current minute)")
    sd.add_argument("--reset", action="store_true", help="replace whatever the database holds")
    sd.set_defaults(func=cmd_seed)

    oa = sub.add_parser("openapi", help="print the OpenAPI schema as JSON", formatter_class=defaults)
    oa.add_argument("--indent", action="store_true")
    oa.set_defaults(func=cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
