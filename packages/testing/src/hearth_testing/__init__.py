# ruff: noqa: E402 - the asserts of the helpers are rewritten: registered before they are imported
"""Hearth's test support, once for every package's tests: a pytest plugin (``hearth_testing.plugin``, loaded
through the ``pytest11`` entry point) and the helpers below.

Fixtures: ``repo_root``, ``database_url`` (a migrated test database), ``redis_url``, ``base_settings``,
``app_factory`` (each package's conftest overrides it), ``make_app``, ``app``, ``client``,
``count_queries``, ``make_user``, ``connect``, ``make_tag``, ``assert_problem``, ``s3_server``.
"""

import pytest

# the helpers' own asserts explain themselves in a failing test, as a conftest's would
pytest.register_assert_rewrite("hearth_testing.api", "hearth_testing.problems", "hearth_testing.database")

from .api import (
    API,
    PASSWORD,
    Api,
    AppUser,
    all_pages,
    answered_within,
    connect,
    create_tag,
    new_post,
    register,
    request_url,
)
from .database import OwnPostgres, find_repo_root, fresh_database, migrate, migrated_database, run_sql
from .jobs import jobs_in_queue, run_jobs
from .layers import LAYERS, layers_above
from .ports import free_port, free_ports, port_is_free
from .problems import INTERNALS, PROBLEM_FIELDS, assert_no_internals, assert_not_ready, assert_problem
from .processes import closing_all, scratch_dir, stop_group, wait_until
from .queries import QueryCounter, resolved, statements_on
from .redis_server import OwnRedis
from .relay import Relay
from .seaweed import OwnSeaweed, weed_binary
from .serve import SECRET_KEY, Serve, hearth_command, serve
from .smtp import OwnSmtp, bodies, link_in
from .sse import EventStream, SseEvent, open_stream
from .stack import Stack, own_stack
from .terminal import report

__all__ = [
    "API",
    "INTERNALS",
    "LAYERS",
    "PASSWORD",
    "PROBLEM_FIELDS",
    "SECRET_KEY",
    "Api",
    "AppUser",
    "EventStream",
    "OwnPostgres",
    "OwnRedis",
    "OwnSeaweed",
    "OwnSmtp",
    "QueryCounter",
    "Relay",
    "Serve",
    "SseEvent",
    "Stack",
    "all_pages",
    "answered_within",
    "assert_no_internals",
    "assert_not_ready",
    "assert_problem",
    "bodies",
    "closing_all",
    "connect",
    "create_tag",
    "find_repo_root",
    "free_port",
    "free_ports",
    "fresh_database",
    "hearth_command",
    "jobs_in_queue",
    "layers_above",
    "link_in",
    "migrate",
    "migrated_database",
    "new_post",
    "open_stream",
    "own_stack",
    "port_is_free",
    "register",
    "report",
    "request_url",
    "resolved",
    "run_jobs",
    "run_sql",
    "scratch_dir",
    "serve",
    "statements_on",
    "stop_group",
    "wait_until",
    "weed_binary",
]
