"""The seed's six Python demos, copied verbatim, run against our server with only the host changed.

Placeholders (key, secret, paths, URLs) are replaced by names of variables defined before each
snippet runs; the function body of `get_byte_img` is indented (the seed document lost the
indentation when it was pasted, and Python needs it). `test_the_snippets_are_the_seeds_own`
compares every snippet with ../shared/seed-api.md, so they cannot drift from the seed.

These run the real engine (extractor "local") on generated certificates, so they pass only once
the engine is in place.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from services.accounts.api_keys import ApiKeyService
from services.core.config import REPO_ROOT
from services.domain.schema import SeedItem, SeedResponse, validate_item
from tests.support.api_server import (
    CardFiles,
    ImageServer,
    LiveServer,
    card_images,
    count_rows,
    live_server,
    server_settings,
)

CLOUD = "https://cloud.computervision.com.vn"

SNIPPET_1 = '''import requests
api_key = "YOUR_API_KEY"
api_secret = "YOUR_API_SECRET"
front_url = 'sample front url'
back_url = 'sample back url'
response = requests.get(
"https://cloud.computervision.com.vn/api/v2/ocr/vehicle_registrations?img1=%s&img2=%s&format_type=%s&get_thumb=%s"
% (front_url, back_url, 'url', 'false'),
auth=(api_key, api_secret))
print(response.json())
'''

SNIPPET_2 = '''import requests
api_key = "YOUR_API_KEY"
api_secret = "YOUR_API_SECRET"
front_path = '/path/to/your/example_front.jpg'
back_path = '/path/to/your/example_back.jpg'
response = requests.post(
"https://cloud.computervision.com.vn/api/v2/ocr/vehicle_registrations?format_type=file&get_thumb=false",
auth=(api_key, api_secret),
files={'img1': open(front_path, 'rb'), 'img2' : open(back_path, 'rb')})
print(response.json())
'''

SNIPPET_3 = '''import base64
import io
import requests
from PIL import Image
def get_byte_img(img):
    img_byte_arr = io.BytesIO()
    img.save(img_byte_arr, format='PNG')
    encoded_img = base64.encodebytes(img_byte_arr.getvalue()).decode('ascii')
    return encoded_img
api_key = "YOUR_API_KEY"
api_secret = "YOUR_API_SECRET"
img_front_path = "/path/to/your/img_front.jpg"
img_back_path = "/path/to/your/img_back.jpg"
encode_front = get_byte_img(Image.open(img_front_path))
encode_back = get_byte_img(Image.open(img_back_path))
response = requests.post(
"https://cloud.computervision.com.vn/api/v2/ocr/vehicle_registrations?format_type=base64&get_thumb=false",
auth=(api_key, api_secret),
json={'img1' : encode_front, "img2" : encode_back})
print(response.json())
'''

SNIPPET_4 = '''import requests
api_key = "YOUR_API_KEY"
api_secret = "YOUR_API_SECRET"
image_url = 'https://example.com/image.png'
response = requests.get(
"https://cloud.computervision.com.vn/api/v2/ocr/vehicle_registration?img=%s&format_type=%s&get_thumb=%s"
% (image_url, 'url', 'false'),
auth=(api_key, api_secret))
print(response.json())
'''

SNIPPET_5 = '''import requests
api_key = "YOUR_API_KEY"
api_secret = "YOUR_API_SECRET"
image_path = '/path/to/your/example.jpg'
response = requests.post(
"https://cloud.computervision.com.vn/api/v2/ocr/vehicle_registration?format_type=file&get_thumb=false",
auth=(api_key, api_secret),
files={'img': open(image_path, 'rb')})
print(response.json())
'''

SNIPPET_6 = '''import base64
import io
import requests
from PIL import Image
def get_byte_img(img):
    img_byte_arr = io.BytesIO()
    img.save(img_byte_arr, format='PNG')
    encoded_img = base64.encodebytes(img_byte_arr.getvalue()).decode('ascii')
    return encoded_img
api_key = "YOUR_API_KEY"
api_secret = "YOUR_API_SECRET"
img_name = "path_img"
encode_cmt = get_byte_img(Image.open(img_name))
response = requests.post(
"https://cloud.computervision.com.vn/api/v2/ocr/vehicle_registration?format_type=base64&get_thumb=false",
auth=(api_key, api_secret),
json={'img' : encode_cmt})
print(response.json())
'''

SNIPPETS = {1: SNIPPET_1, 2: SNIPPET_2, 3: SNIPPET_3, 4: SNIPPET_4, 5: SNIPPET_5, 6: SNIPPET_6}
TWO_SIDED = {1, 2, 3}

# Each placeholder literal of the seed, and the variable that replaces it.
PLACEHOLDERS = {
    '"YOUR_API_KEY"': "API_KEY",
    '"YOUR_API_SECRET"': "API_SECRET",
    "'sample front url'": "FRONT_URL",
    "'sample back url'": "BACK_URL",
    "'https://example.com/image.png'": "IMAGE_URL",
    "'/path/to/your/example_front.jpg'": "FRONT_PATH",
    "'/path/to/your/example_back.jpg'": "BACK_PATH",
    '"/path/to/your/img_front.jpg"': "FRONT_PATH",
    '"/path/to/your/img_back.jpg"': "BACK_PATH",
    "'/path/to/your/example.jpg'": "BACK_PATH",
    '"path_img"': "FRONT_PATH",
}


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> tuple[CardFiles, Path]:
    files = card_images(seed=7, index=0, condition="scan")
    folder = tmp_path_factory.mktemp("cards")
    (folder / files.front_name).write_bytes(files.front)
    (folder / files.back_name).write_bytes(files.back)
    return files, folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = replace(server_settings(tmp_path_factory.mktemp("api-engine")), max_upload_bytes=20 * 1024 * 1024)
    # The real extractor and the engine's own field checks.
    with live_server(settings, extractor="local", checker=None) as live:
        yield live


@pytest.fixture(scope="module")
def images(card: tuple[CardFiles, Path]) -> Iterator[ImageServer]:
    files, _folder = card
    with ImageServer() as image_server:
        image_server.image("/" + files.front_name, files.front, _mime(files.front_name))
        image_server.image("/" + files.back_name, files.back, _mime(files.back_name))
        yield image_server


def _mime(name: str) -> str:
    return "image/png" if name.endswith(".png") else "image/jpeg"


def prepared(snippet: str, base_url: str) -> str:
    code = snippet.replace(CLOUD, base_url)
    for literal, variable in PLACEHOLDERS.items():
        code = code.replace(literal, variable)
    assert CLOUD not in code and "YOUR_API" not in code
    return code


def run_snippet(number: int, server: LiveServer, card: tuple[CardFiles, Path], images: ImageServer) -> Any:
    files, folder = card
    database = server.database()
    try:
        created = ApiKeyService(database).create(f"snippet-{number}")
    finally:
        database.dispose()
    variables: dict[str, Any] = {
        "API_KEY": created.key_id,
        "API_SECRET": created.secret,
        "FRONT_URL": images.url("/" + files.front_name),
        "BACK_URL": images.url("/" + files.back_name),
        "IMAGE_URL": images.url("/" + files.back_name),
        "FRONT_PATH": str(folder / files.front_name),
        "BACK_PATH": str(folder / files.back_name),
    }
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(prepared(SNIPPETS[number], server.url), f"<seed snippet {number}>", "exec"), variables)
    response = variables["response"]
    assert printed.getvalue().strip() == str(response.json())
    return response


@pytest.mark.parametrize("number", sorted(SNIPPETS))
def test_the_seed_snippet_gets_code_0_with_every_field(number: int, server: LiveServer,
                                                       card: tuple[CardFiles, Path], images: ImageServer) -> None:
    response = run_snippet(number, server, card, images)
    assert response.status_code == 200
    answer = SeedResponse.model_validate(response.json())
    assert answer.errorCode == "0", answer.errorMessage
    assert answer.errorMessage == "Success"
    [item] = answer.data
    if number in TWO_SIDED:
        assert item.type == "vehicle_registrations"
    else:
        assert item.type in ("vehicle_registration_front", "vehicle_registration_back")
    validate_item(SeedItem.model_validate(item.model_dump()))  # every field of the schema, nothing else
    assert any(isinstance(v, str) and v for k, v in item.info.items() if not k.startswith("image")), (
        "the answer has no value at all")


def test_a_snippet_request_is_stored_with_the_engines_extraction(server: LiveServer, card: tuple[CardFiles, Path],
                                                                images: ImageServer) -> None:
    database = server.database()
    try:
        before = count_rows(database)
        run_snippet(5, server, card, images)
        after = count_rows(database)
    finally:
        database.dispose()
    assert after["documents"] == before["documents"] + 1 and after["extractions"] == before["extractions"] + 1


def test_get_thumb_true_returns_the_aligned_card_as_a_jpeg(server: LiveServer, card: tuple[CardFiles, Path]) -> None:
    files, _folder = card
    response = requests.post(f"{server.url}/api/v2/ocr/vehicle_registration?format_type=file&get_thumb=true",
                             auth=server.auth, files={"img": files.back}, timeout=120)
    body = response.json()
    assert body["errorCode"] == "0", body["errorMessage"]
    assert base64.b64decode(body["data"][0]["info"]["image"])[:3] == b"\xff\xd8\xff"


def _seed_document() -> Path:
    return REPO_ROOT.parent / "shared" / "seed-api.md"


def test_the_snippets_are_the_seeds_own() -> None:
    path = _seed_document()
    if not path.exists():
        pytest.skip(f"{path} is not here to compare with")
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"Demo Python:\n\n(.*?print\(response\.json\(\)\))", text, flags=re.S)
    assert len(blocks) == 6

    def lines(code: str) -> list[str]:
        return [line.strip() for line in code.strip().splitlines() if line.strip()]

    for number, block in enumerate(blocks, start=1):
        assert lines(SNIPPETS[number]) == lines(block), f"snippet {number} differs from the seed"
