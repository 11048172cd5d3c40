"""Numbers a test shows on the terminal, beside pytest's own report."""

from __future__ import annotations

import pytest


def report(config: pytest.Config, *lines: str) -> None:
    """Write ``lines`` to pytest's terminal (shown even without ``-s``); nothing when there is none."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        for line in lines:
            reporter.write_line(line)
