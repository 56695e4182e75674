"""Settings read from the environment, in one place.

Every environment variable the product reads is declared here (the README's configuration table
lists the same names). Services receive a `Settings`; nothing else reads `os.environ` for
configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _env(name).split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path = REPO_ROOT / "data"
    database_url: str = ""
    redis_url: str = ""
    app_language: str = "vi"
    # Extraction backend the app uses: local engine, a self-hosted server, or the cloud API.
    ocr_backend: str = "local"
    ocr_server_url: str = "http://127.0.0.1:8000"
    ocr_server_key: str = ""
    ocr_server_secret: str = ""
    ocr_cloud_url: str = "https://cloud.computervision.com.vn"
    ocr_cloud_key: str = ""
    ocr_cloud_secret: str = ""
    # One extra API key pair accepted by the API server, for local use.
    ocr_api_key: str = ""
    ocr_api_secret: str = ""
    url_allowlist: tuple[str, ...] = field(default_factory=tuple)
    max_upload_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    url_fetch_timeout: float = 10.0
    claim_ttl_minutes: int = 30
    default_threshold: float = 0.8
    api_enqueue_review: bool = True
    api_workers: int = 0  # 0: one per core
    tessdata_dir: str = "/usr/share/tesseract-ocr/5/tessdata"

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(_env("DATA_DIR") or REPO_ROOT / "data")
        language = _env("APP_LANGUAGE", "vi").lower()
        if language not in {"vi", "en"}:
            raise ValueError(f"APP_LANGUAGE must be 'vi' or 'en', got {language!r}")
        backend = _env("OCR_BACKEND", "local").lower()
        if backend not in {"local", "server", "cloud"}:
            raise ValueError(f"OCR_BACKEND must be local, server or cloud, got {backend!r}")
        return cls(
            data_dir=data_dir,
            database_url=_env("DATABASE_URL") or f"sqlite:///{data_dir / 'app.db'}",
            redis_url=_env("REDIS_URL"),
            app_language=language,
            ocr_backend=backend,
            ocr_server_url=_env("OCR_SERVER_URL", cls.ocr_server_url),
            ocr_server_key=_env("OCR_SERVER_KEY"),
            ocr_server_secret=_env("OCR_SERVER_SECRET"),
            ocr_cloud_url=_env("OCR_CLOUD_URL", cls.ocr_cloud_url),
            ocr_cloud_key=_env("OCR_CLOUD_KEY"),
            ocr_cloud_secret=_env("OCR_CLOUD_SECRET"),
            ocr_api_key=_env("OCR_API_KEY"),
            ocr_api_secret=_env("OCR_API_SECRET"),
            url_allowlist=_env_list("OCR_URL_ALLOWLIST"),
            max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            max_image_pixels=_env_int("MAX_IMAGE_PIXELS", cls.max_image_pixels),
            url_fetch_timeout=_env_float("URL_FETCH_TIMEOUT", cls.url_fetch_timeout),
            claim_ttl_minutes=_env_int("CLAIM_TTL_MINUTES", cls.claim_ttl_minutes),
            default_threshold=_env_float("DEFAULT_THRESHOLD", cls.default_threshold),
            api_enqueue_review=_env_bool("API_ENQUEUE_REVIEW", cls.api_enqueue_review),
            api_workers=_env_int("API_WORKERS", cls.api_workers),
            tessdata_dir=_env("TESSDATA_DIR", cls.tessdata_dir),
        )
