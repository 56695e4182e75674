"""A private PostgreSQL server for the tests that stop the database on purpose.

The shared server at TEST_DATABASE_URL is used by other tests (and other people) at the same
time, so a test that takes the database away starts its own: Debian's `initdb` into a fresh
directory, `postgres` on a free port of 127.0.0.1 (and a socket in that directory), trust
authentication, no fsync (only the server stops, never the machine, so every commit is still in
the operating system's copy of its write-ahead log). As root (CI, these machines) the server runs as the `postgres` system
user, since PostgreSQL refuses to run as root.

`PrivatePostgres.unavailable_reason()` says why one cannot be started here (no binaries, no
`postgres` user); tests skip with that reason, and fail instead when `REQUIRE_POSTGRES=1` (CI).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import pytest

from tests.support.api_server import LOOPBACK, free_port


def _bin_dir() -> Optional[Path]:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                        if Path(p).parent.name.isdigit() else 0)
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


class PrivatePostgres:
    """One throw-away PostgreSQL cluster: `start()`, `stop()` (immediate: as if it crashed),
    `start()` again, `destroy()`."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        assert bin_dir is not None, self.unavailable_reason()
        self.bin = bin_dir
        self.port = free_port()
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="vr-private-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.run_tool("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", "--locale=C")

    @staticmethod
    def unavailable_reason() -> Optional[str]:
        if _bin_dir() is None:
            return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (Debian's postgresql package)"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run a private server as"
        return None

    def run_tool(self, tool: str, *args: str, timeout: float = 60,
                 check: bool = True) -> subprocess.CompletedProcess[str]:
        """One of the server's tools (pg_ctl, pg_dump, ...), as the server's user."""
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}\n{log}")
        return result

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/postgres"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{database}"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses={LOOPBACK} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60 "
                   "-c shared_buffers=32MB")
        self.run_tool("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options,
                  timeout=90)

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` drops every connection at once, without a checkpoint: a crash, as far as
        the clients can tell."""
        self.run_tool("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60", timeout=90)

    def running(self) -> bool:
        # pg_ctl refuses to run as root, so this too goes through the server's user.
        return self.run_tool("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def create_database(self, name: str) -> str:
        self.run_tool("createdb", "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def destroy(self) -> None:
        try:
            if self.data.exists() and self.running():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def private_postgres_or_skip() -> PrivatePostgres:
    reason = PrivatePostgres.unavailable_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but a private PostgreSQL cannot be started: {reason}")
        pytest.skip(f"private PostgreSQL unavailable: {reason}")
    server = PrivatePostgres()
    server.start()
    return server
