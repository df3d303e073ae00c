"""Run the app in a thread on a free loopback port: for tests, notebooks and benchmarks.

Unlike an in-process test client, this is a real uvicorn server answering over TCP.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class ThreadedServer:
    """A uvicorn server running in a daemon thread; ``url`` is its base address."""

    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self, *, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def loopback_socket(host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to a free port on ``host``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def serve_in_thread(app: Any, *, host: str = "127.0.0.1", timeout: float = 20.0) -> ThreadedServer:
    """Start ``app`` on ``host`` at a free port and return once it accepts connections."""
    sock = loopback_socket(host)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the server on {host} did not start within {timeout} s")
        time.sleep(0.02)
    bound_host, port = sock.getsockname()[:2]
    return ThreadedServer(server, thread, f"http://{bound_host}:{port}")
