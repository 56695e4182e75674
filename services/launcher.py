"""`make run`: prepare the database, then run the extraction workers and the review app together.

Both run as child processes of this one (`sys.executable -m ...`). Ctrl-C, or SIGTERM, stops
both: first politely (SIGINT lets the workers finish their running extraction), then firmly.
If either child exits on its own, the other is stopped too, so a half-running product never
sits there looking healthy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Optional

from services.backends import preflight
from services.bootstrap import main as bootstrap_main
from services.core.config import REPO_ROOT, Settings

GRACE_SECONDS = 20


def commands(settings: Settings) -> dict[str, list[str]]:
    return {
        "workers": [sys.executable, "-m", "services.tasks.worker", "--workers", str(max(1, settings.workers))],
        # Streamlit's app behind its own ASGI server, with the app's session routes (pages/_web.py).
        "app": [
            sys.executable, "-m", "uvicorn", "pages._web:app", "--host", settings.app_address,
            "--port", str(settings.app_port), "--log-level", "warning", "--no-access-log",
        ],
    }


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.terminate()
    for child in children.values():
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()


def main(argv: Optional[list[str]] = None) -> int:
    settings = Settings.from_env()
    # The local engine is the default, and a backend admins may switch to at any time.
    problem = preflight("local", settings)
    if problem:
        print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    if bootstrap_main([]) != 0:
        return 1
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for name, command in commands(settings).items():
            # Own process groups: a Ctrl-C in the terminal reaches this process only, which then
            # stops the children in order.
            children[name] = subprocess.Popen(command, cwd=REPO_ROOT, env=dict(os.environ),
                                              start_new_session=True)
        where = f"http://{settings.app_address}:{settings.app_port}"
        print(f"review app: {where}  (workers: {settings.workers}; Ctrl-C stops everything)", flush=True)
        while not stopping:
            exited = [name for name, child in children.items() if child.poll() is not None]
            if exited:
                print(f"{', '.join(exited)} stopped; stopping the rest", file=sys.stderr, flush=True)
                break
            time.sleep(0.5)
    finally:
        _stop(children)
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
