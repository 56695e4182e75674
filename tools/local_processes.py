"""Servers and workers that tests and benchmarks start as processes of their own: a free port on
127.0.0.1, waiting until a started server answers its health check, and stopping a process
group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from typing import Callable, Optional

import requests

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float, *,
                 output: Optional[Callable[[], str]] = None, interval: float = 0.2) -> None:
    """Return once `url` answers 200. Fails with the process's output when it exits first, or
    when `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the process exited at start\n{output() if output else ''}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: no answer within {timeout:.0f} s\n{output() if output else ''}")
        time.sleep(interval)


def stop_group(process: subprocess.Popen, *, first: int = signal.SIGINT, grace: float = 15.0) -> None:
    """Stop a process started with `start_new_session=True` and its children: `first` (Ctrl-C by
    default, an orderly stop), then SIGKILL when it has not ended after `grace` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, first)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
