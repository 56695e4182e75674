"""`python -m services.api`: key management and serving, as a newcomer runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests

from services.core.config import REPO_ROOT
from tests.support.api_server import SCRIPTED, answer, png
from tools.local_processes import free_port, wait_healthy


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCR_", "API_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", API_WORKERS="1", OCR_URL_ALLOWLIST="127.0.0.1",
               PYTHONPATH=str(REPO_ROOT))
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.api", *args], cwd=REPO_ROOT, env=env, text=True,
                          capture_output=True, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return environment(tmp_path)


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.api", "--port", str(port), "--extractor", SCRIPTED, "--log-level", "warning"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(f"{url}/healthz", process, 120, output=lambda: process.stdout.read() if process.stdout else "")
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: an orderly stop
        try:
            assert process.wait(timeout=30) == 0
            output = process.stdout.read() if process.stdout else ""
            assert "Traceback" not in output, output
        finally:
            if process.poll() is None:
                process.kill()


def created_key(output: str) -> tuple[str, str]:
    key = re.search(r"api_key:\s+(\S+)", output)
    secret = re.search(r"api_secret:\s+(\S+)", output)
    assert key and secret, output
    return key.group(1), secret.group(1)


def test_keys_create_prints_the_key_and_secret_once_and_list_shows_the_key_without_it(env: dict[str, str]) -> None:
    created = cli(env, "keys", "create", "Team A", "--quota", "5")
    assert created.returncode == 0, created.stderr
    key, secret = created_key(created.stdout)
    listed = cli(env, "keys", "list")
    assert listed.returncode == 0
    assert key in listed.stdout and "Team A" in listed.stdout and "5" in listed.stdout
    assert secret not in listed.stdout


def test_keys_revoke_marks_the_key_revoked_and_a_second_revoke_fails(env: dict[str, str]) -> None:
    key, _secret = created_key(cli(env, "keys", "create", "temp").stdout)
    assert cli(env, "keys", "revoke", key).returncode == 0
    assert "revoked" in cli(env, "keys", "list").stdout
    assert cli(env, "keys", "revoke", key).returncode == 1


def test_a_key_created_on_the_command_line_works_against_the_server_until_revoked(
        env: dict[str, str], served: str) -> None:
    key, secret = created_key(cli(env, "keys", "create", "newcomer").stdout)
    url = f"{served}/api/v2/ocr/vehicle_registration?format_type=file&get_thumb=false"
    assert answer(requests.post(url, auth=(key, secret), files={"img": png()}, timeout=60))["errorCode"] == "0"
    assert cli(env, "keys", "revoke", key).returncode == 0
    assert answer(requests.post(url, auth=(key, secret), files={"img": png()}, timeout=60))["errorCode"] == "5"
    assert requests.get(f"{served}/docs", timeout=10).status_code == 200


def test_the_environment_key_pair_is_accepted(tmp_path: Path) -> None:
    env = environment(tmp_path)
    env.update(OCR_API_KEY="local-key", OCR_API_SECRET="local-secret")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.api", "--port", str(port), "--extractor", SCRIPTED, "--log-level", "warning"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", process, 120)
        response = requests.post(f"http://127.0.0.1:{port}/api/v2/ocr/vehicle_registration?format_type=base64",
                                 auth=("local-key", "local-secret"), json={"img": ""}, timeout=60)
        assert answer(response)["errorCode"] == "1"  # past authentication: the image is missing
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_a_server_whose_extractor_cannot_load_exits_with_an_error(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.api", "--port", str(free_port()), "--extractor", "no.such.module:factory"],
        cwd=REPO_ROOT, env=env, text=True, capture_output=True, timeout=120)
    assert result.returncode != 0
    assert "no.such" in result.stderr + result.stdout
