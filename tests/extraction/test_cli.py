"""`python -m services.extraction FRONT [BACK] [--thumb]`: prints the seed's JSON answer; exit
status 0 on success, 1 when the answer is an error (the JSON is still printed), 2 for a usage
error or a file that cannot be read."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import numpy as np

from services.core.config import REPO_ROOT
from services.domain.schema import SeedItem, SeedResponse, validate_item
from services.extraction.__main__ import main
from tests.support.engine import png

ROOT = REPO_ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return subprocess.run([sys.executable, "-m", "services.extraction", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_two_sides_print_one_two_sided_record_with_both_aligned_images(tmp_path, capsys, monkeypatch) -> None:
    import tests.support.engine as support
    from services.extraction import engine as engine_module
    from tools.synth import generate_card

    # The CLI makes its own engine; hand it the tests' engine so Tesseract loads once.
    shared = support.engine()
    monkeypatch.setattr(engine_module, "Engine", lambda *a, **k: shared)
    card = generate_card(12, 0, condition="scan", kind="car", layout="two_column")
    paths = []
    for side, image in card.sides.items():
        path = tmp_path / card.file_name(side)
        path.write_bytes(image.image)
        paths.append(str(path))
    status = main([*paths, "--thumb"])
    out = capsys.readouterr().out
    assert status == 0
    assert "\\u" not in out  # ensure_ascii=False: Vietnamese stays readable
    answer = json.loads(out)
    response = SeedResponse.model_validate(answer)
    assert (response.errorCode, response.errorMessage) == ("0", "Success")
    (item,) = response.data
    assert item.type == "vehicle_registrations"
    validate_item(SeedItem.model_validate(item.model_dump()))
    for key in ("image1", "image2"):
        assert base64.b64decode(item.info[key])[:2] == b"\xff\xd8"  # JPEG
    assert out.startswith("{\n  \"data\"")  # indented by two


def test_an_image_without_content_prints_the_error_answer_and_exits_1(tmp_path) -> None:
    blank = tmp_path / "blank.png"
    blank.write_bytes(png(np.full((600, 900, 3), 255, np.uint8)))
    result = run_cli(str(blank))
    assert result.returncode == 1, result.stderr
    answer = json.loads(result.stdout)
    assert answer["errorCode"] == "1" and answer["data"] == []
    assert answer["errorMessage"].startswith("The photo does not contain content")


def test_a_file_that_is_no_image_is_error_3(tmp_path) -> None:
    text = tmp_path / "card.jpg"
    text.write_text("not an image", encoding="utf-8")
    result = run_cli(str(text), "--thumb")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errorCode"] == "3"


def test_a_missing_file_is_named_and_nothing_is_printed(tmp_path) -> None:
    missing = tmp_path / "nowhere" / "front.jpg"
    result = run_cli(str(missing))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"error: {missing}: no such file" in result.stderr


def test_a_directory_is_not_an_image_file(tmp_path) -> None:
    assert main([str(tmp_path)]) == 2


def test_three_images_are_a_usage_error(tmp_path) -> None:
    result = run_cli("a.jpg", "b.jpg", "c.jpg")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
