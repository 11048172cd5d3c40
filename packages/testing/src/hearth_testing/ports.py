"""Free loopback ports for the servers a test starts."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (as servers do, with SO_REUSEADDR: connections of a
    killed server left in TIME_WAIT do not keep its port)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(n: int, *, offset: int = 0) -> list[int]:
    """``n`` distinct free ports; with ``offset``, each with ``port + offset`` free too (e.g. SeaweedFS
    puts a server's gRPC port at ``port + 10000``)."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port in ports:
            continue
        if offset and (port + offset > 65535 or not port_is_free(port + offset)):
            continue
        ports.append(port)
    return ports
