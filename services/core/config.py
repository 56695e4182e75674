"""Settings read from the environment, in one place.

Every environment variable the product reads is declared here (the README's configuration table
lists the same names). Services receive a `Settings`; nothing else reads `os.environ` for
configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


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


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"APP_TIMEZONE must be a time zone name such as Asia/Ho_Chi_Minh, got {name!r}") from exc
    return name


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _env(name).split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path = REPO_ROOT / "data"
    database_url: str = ""
    redis_url: str = ""
    # The task queue's name: deployments (or test runs) sharing one Redis keep apart by it.
    queue_name: str = "vr-extraction"
    app_language: str = "vi"
    # The time zone of times shown and exported (with their offset); stored times are UTC.
    app_timezone: str = "Asia/Ho_Chi_Minh"
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
    # API server limits. A request body may carry two images as base64 (4/3 larger, plus the
    # newlines of base64.encodebytes), so 0 derives the body cap from max_upload_bytes.
    api_max_body_bytes: int = 0
    api_max_query_bytes: int = 8192
    api_extract_timeout: float = 60.0  # seconds one extraction may run in a worker
    api_max_concurrency: int = 64  # requests in flight; more get HTTP 503 from uvicorn
    # Repeated auth failures from one client address: after this many within the window, that
    # address is refused (HTTP 429) until the window has passed.
    api_auth_max_failures: int = 10
    api_auth_window_seconds: float = 300.0
    # Verified key/secret pairs are remembered this long, so argon2 (about 0.1 s of CPU) does not
    # run on every request; a revoked key stops working within this time. 0 disables the cache.
    api_auth_cache_seconds: float = 30.0
    url_max_redirects: int = 5
    # The client of a remote server or the cloud API (services.backends.ocr_client).
    ocr_client_timeout: float = 120.0
    ocr_client_retries: int = 3
    tessdata_dir: str = "/usr/share/tesseract-ocr/5/tessdata"
    # The trained line recogniser (ONNX); empty: the one shipped in services/extraction/models.
    recognizer_model: str = ""
    # Seconds the local engine spends on one image before it answers with what it has read.
    engine_time_budget: float = 8.0
    # The review app and its task workers.
    app_address: str = "localhost"
    app_port: int = 8501
    workers: int = 2  # extraction worker processes started by `make run` / `make worker`
    # A started extraction with no result after this long is taken for lost (its worker died)
    # and is queued again; after `task_max_attempts` starts it is marked failed.
    task_stall_seconds: int = 600
    task_max_attempts: int = 3
    task_retry_delay: int = 10
    # Batch uploads (many files, or zips of pairs): limits on what one batch may unpack to.
    max_batch_files: int = 1000
    max_batch_bytes: int = 1024 * 1024 * 1024

    @property
    def api_body_cap(self) -> int:
        """The largest request body the API server reads."""
        if self.api_max_body_bytes > 0:
            return self.api_max_body_bytes
        per_image = (self.max_upload_bytes + 2) // 3 * 4
        per_image += per_image // 76 + 64  # encodebytes' newlines and a data: prefix
        return 2 * per_image + 64 * 1024  # two sides, plus multipart / JSON framing

    @property
    def worker_count(self) -> int:
        if self.api_workers > 0:
            return self.api_workers
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)

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
            queue_name=_env("QUEUE_NAME", cls.queue_name),
            app_language=language,
            app_timezone=_timezone(_env("APP_TIMEZONE", cls.app_timezone)),
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
            api_max_body_bytes=_env_int("API_MAX_BODY_BYTES", cls.api_max_body_bytes),
            api_max_query_bytes=_env_int("API_MAX_QUERY_BYTES", cls.api_max_query_bytes),
            api_extract_timeout=_env_float("API_EXTRACT_TIMEOUT", cls.api_extract_timeout),
            api_max_concurrency=_env_int("API_MAX_CONCURRENCY", cls.api_max_concurrency),
            api_auth_max_failures=_env_int("API_AUTH_MAX_FAILURES", cls.api_auth_max_failures),
            api_auth_window_seconds=_env_float("API_AUTH_WINDOW_SECONDS", cls.api_auth_window_seconds),
            api_auth_cache_seconds=_env_float("API_AUTH_CACHE_SECONDS", cls.api_auth_cache_seconds),
            url_max_redirects=_env_int("URL_MAX_REDIRECTS", cls.url_max_redirects),
            ocr_client_timeout=_env_float("OCR_CLIENT_TIMEOUT", cls.ocr_client_timeout),
            ocr_client_retries=_env_int("OCR_CLIENT_RETRIES", cls.ocr_client_retries),
            tessdata_dir=_env("TESSDATA_DIR", cls.tessdata_dir),
            recognizer_model=_env("RECOGNIZER_MODEL"),
            engine_time_budget=_env_float("ENGINE_TIME_BUDGET", cls.engine_time_budget),
            app_address=_env("APP_ADDRESS", cls.app_address),
            app_port=_env_int("APP_PORT", cls.app_port),
            workers=_env_int("WORKERS", cls.workers),
            task_stall_seconds=_env_int("TASK_STALL_SECONDS", cls.task_stall_seconds),
            task_max_attempts=_env_int("TASK_MAX_ATTEMPTS", cls.task_max_attempts),
            task_retry_delay=_env_int("TASK_RETRY_DELAY", cls.task_retry_delay),
            max_batch_files=_env_int("MAX_BATCH_FILES", cls.max_batch_files),
            max_batch_bytes=_env_int("MAX_BATCH_BYTES", cls.max_batch_bytes),
        )
