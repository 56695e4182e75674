"""The seed-compatible HTTP API: app factory and routes.

One request, in order: authenticate (5, or HTTP 429 after repeated failures) → read
`format_type` and the request's shape (6; 1 for a missing image) → count it against the key's
quota (4) → fetch or decode the images (2, 3) → validate and store them (3; nothing stored for a
refused input, and the quota is given back) → extract in a worker process → store the outcome →
answer in the seed's wrapper, HTTP 200, every field of the schema present.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Optional

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from db.migrate import upgrade
from services.api import openapi as docs
from services.api.auth import Authenticator, VerifiedCache
from services.api.inputs import ONE_SIDE, TWO_SIDES, materialise, parse_flag, parse_format_type, read_sources
from services.api.limits import RequestLimits
from services.api.responses import HttpSeedError, error_json, seed_json
from services.api.workers import PoolError, WorkerPool
from services.bootstrap import Services
from services.core.config import Settings
from services.core.limiter import FailureLimiter
from services.core.url_fetch import FetchPolicy, Resolver, SafeFetcher, system_resolver
from services.domain.schema import ErrorCode, SeedError, SeedResponse
from services.review.intake import SIDE_ANY, Checker, ImageInput, Submission

log = logging.getLogger(__name__)

ONE_SIDE_PATH = "/api/v2/ocr/vehicle_registration"
TWO_SIDES_PATH = "/api/v2/ocr/vehicle_registrations"


@dataclass
class Runtime:
    """What the routes use, built at start-up."""

    settings: Settings
    services: Services
    auth: Authenticator
    fetcher: SafeFetcher
    pool: WorkerPool
    backend: str  # what the documents record as their backend
    fetch_threads: ThreadPoolExecutor

    async def fetch(self, url: str) -> bytes:
        loop = asyncio.get_running_loop()
        # The fetcher keeps its own deadline; this outer one also bounds a slow DNS lookup.
        # The future is abandoned on timeout (the thread ends with its socket timeouts).
        limit = self.fetcher.policy.timeout + 5
        try:
            return await asyncio.wait_for(loop.run_in_executor(self.fetch_threads, self.fetcher.fetch, url), limit)
        except asyncio.TimeoutError:
            raise SeedError(ErrorCode.URL_UNAVAILABLE, f"no answer within {self.fetcher.policy.timeout:g} s"
                            ) from None


def create_app(
    settings: Settings,
    *,
    extractor: str = "local",
    checker: Optional[Checker] = None,
    resolver: Resolver = system_resolver,
    migrate: bool = True,
) -> FastAPI:
    """The API app. `extractor` is what each worker process runs (see `make_extractor`);
    `checker` the record checks stored with each extraction (the domain's by default)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await run_in_threadpool(upgrade, settings.database_url)
        services = Services.from_settings(settings, checker=checker)
        pool = WorkerPool(extractor, settings, size=settings.worker_count,
                          task_timeout=settings.api_extract_timeout)
        await pool.start()
        fetch_threads = ThreadPoolExecutor(max_workers=16, thread_name_prefix="url-fetch")
        app.state.runtime = Runtime(
            settings=settings,
            services=services,
            auth=Authenticator(
                services.api_keys,
                FailureLimiter(settings.api_auth_max_failures, settings.api_auth_window_seconds),
                VerifiedCache(settings.api_auth_cache_seconds),
            ),
            fetcher=SafeFetcher(FetchPolicy.from_settings(settings), resolver=resolver),
            pool=pool,
            backend=_backend_name(extractor),
            fetch_threads=fetch_threads,
        )
        try:
            yield
        finally:
            await pool.close()
            fetch_threads.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="Vehicle registration OCR",
        version="2",
        description=(
            "Reads Vietnamese vehicle registration certificates. Same routes, parameters, bodies, "
            "answers and error codes as the seed's cloud API; authenticate with HTTP basic auth "
            "(api_key, api_secret). Seed errors come with HTTP 200: read `errorCode`."
        ),
        lifespan=lifespan,
    )
    app.add_middleware(RequestLimits, max_body=settings.api_body_cap, max_query=settings.api_max_query_bytes)
    _add_routes(app)
    _add_error_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _backend_name(extractor: str) -> str:
    return extractor if extractor in ("local", "server", "cloud") else "custom"


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def handle(request: Request, names: tuple[str, ...]) -> JSONResponse:
    try:
        return await _handle(request, names)
    finally:
        # Uploads spooled to disk by the form parser are removed whatever happened.
        await request.close()


async def _handle(request: Request, names: tuple[str, ...]) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    query = request.query_params
    try:
        key, credentials = await runtime.auth.authenticate(request.headers.get("authorization"),
                                                           _client_address(request))
        format_type = parse_format_type(query.get("format_type"))
        thumb = parse_flag(query.get("get_thumb"), False)
        # The server's setting is the default; a request can only opt out (review=false).
        enqueue = settings.api_enqueue_review and parse_flag(query.get("review"), True)
        request_input = await read_sources(request, format_type, names, body_cap=settings.api_body_cap)
        await runtime.auth.consume(key, credentials)
    except SeedError as error:
        return error_json(error)

    try:
        data = await _all_or_first_error(
            materialise(source, fetch=runtime.fetch, max_bytes=settings.max_upload_bytes)
            for source in request_input.sources
        )
        sides = ("front", "back") if len(data) == 2 else (SIDE_ANY,)
        submission = Submission(
            images=[ImageInput(d, side, s.filename) for d, side, s in zip(data, sides, request_input.sources)],
            source="api",
            source_detail=" | ".join(s.label for s in request_input.sources),
            api_key_id=key.pk,
            enqueue_review=enqueue,
            backend=runtime.backend[:16],
            actor=f"api:{key.key_id}"[:64],
        )
        # Validated and stored before extraction: a refused input writes nothing (SeedError 3).
        document_id = await run_in_threadpool(runtime.services.intake.submit, submission)
    except SeedError as error:
        # Refused before the engine: nothing was stored, and the request is not counted.
        await runtime.auth.refund(key)
        return error_json(error)

    recorder = runtime.services.extraction
    started = datetime.now(timezone.utc)
    try:
        # Noted as started once a worker is free: a server that dies mid-extraction leaves the
        # document to the task reaper, and one in flight here (at most API_EXTRACT_TIMEOUT)
        # never is.
        outcome = await runtime.pool.extract(
            data, thumb=thumb,
            on_start=lambda: run_in_threadpool(lambda: recorder.started(
                document_id, actor=f"api:{os.getpid()}", backend=runtime.backend)))
    except BaseException as exc:
        # No answer from the engine: the document must not stay in `extracting`, and the request
        # is not counted against the key.
        await run_in_threadpool(recorder.fail, document_id, f"extraction failed: {type(exc).__name__}")
        await runtime.auth.refund(key)
        raise
    await run_in_threadpool(recorder.record, document_id, outcome, started)
    return seed_json(outcome.to_seed(thumb=thumb), headers={"X-Document-Id": str(document_id)})


async def _all_or_first_error(awaitables: Any) -> list[bytes]:
    """Both images at once (two URLs are fetched in parallel); the first error, in the
    request's order, wins, and no failure is left unretrieved."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


_FORMAT_TYPE = Query(None, description="How the images are passed: url (GET), file (multipart POST) or "
                                       "base64 (JSON POST)")
_GET_THUMB = Query(None, description="true: return the aligned card image (base64 JPEG) in `image`")
_REVIEW = Query(None, description="false: store the request without sending it to the review queue "
                                  "(our extension; the server's API_ENQUEUE_REVIEW=false does it for all)")


def _add_routes(app: FastAPI) -> None:
    one_side = dict(responses={200: {"model": docs.OneSideAnswer}, **docs.error_responses()},
                    response_class=JSONResponse, tags=["vehicle registration"])
    two_sides = dict(responses={200: {"model": docs.TwoSidedAnswer}, **docs.error_responses()},
                     response_class=JSONResponse, tags=["vehicle registration"])

    @app.get(ONE_SIDE_PATH, summary="One side, by image URL", **one_side)
    async def one_side_url(
        request: Request,
        img: Optional[str] = Query(None, description="URL of a photo of the front or back"),
        format_type: Optional[str] = _FORMAT_TYPE, get_thumb: Optional[str] = _GET_THUMB,
        review: Optional[str] = _REVIEW,
    ) -> JSONResponse:
        return await handle(request, ONE_SIDE)

    @app.post(ONE_SIDE_PATH, summary="One side, as a file (multipart) or base64 (JSON)",
              openapi_extra={"requestBody": docs.request_body(ONE_SIDE)}, **one_side)
    async def one_side_body(
        request: Request, format_type: Optional[str] = _FORMAT_TYPE, get_thumb: Optional[str] = _GET_THUMB,
        review: Optional[str] = _REVIEW,
    ) -> JSONResponse:
        return await handle(request, ONE_SIDE)

    @app.get(TWO_SIDES_PATH, summary="Both sides, by image URLs", **two_sides)
    async def two_sides_url(
        request: Request,
        img1: Optional[str] = Query(None, description="URL of the front"),
        img2: Optional[str] = Query(None, description="URL of the back"),
        format_type: Optional[str] = _FORMAT_TYPE, get_thumb: Optional[str] = _GET_THUMB,
        review: Optional[str] = _REVIEW,
    ) -> JSONResponse:
        return await handle(request, TWO_SIDES)

    @app.post(TWO_SIDES_PATH, summary="Both sides, as files (multipart) or base64 (JSON)",
              openapi_extra={"requestBody": docs.request_body(TWO_SIDES)}, **two_sides)
    async def two_sides_body(
        request: Request, format_type: Optional[str] = _FORMAT_TYPE, get_thumb: Optional[str] = _GET_THUMB,
        review: Optional[str] = _REVIEW,
    ) -> JSONResponse:
        return await handle(request, TWO_SIDES)

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        return JSONResponse({"status": "ok", "workers": runtime.pool.alive,
                             "extractor": runtime.pool.extractor_name})


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return seed_json(SeedResponse.failure(ErrorCode.BAD_FORMAT_TYPE, "the request's parameters are malformed"),
                         400)

    @app.exception_handler(PoolError)
    async def pool_unavailable(_request: Request, exc: PoolError) -> JSONResponse:
        log.error("extraction unavailable: %s", exc)
        return error_json(HttpSeedError(ErrorCode.OUT_OF_REQUESTS, "the server cannot extract now; retry later",
                                        503, {"Retry-After": "10"}))

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        # The traceback goes to the log, with a reference the client can quote; never to the client.
        log.error("internal error %s", reference, exc_info=exc)
        return error_json(HttpSeedError(ErrorCode.OUT_OF_REQUESTS,
                                        f"internal error (reference {reference}); retry later", 500))


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["HTTPBasic"] = {
        "type": "http", "scheme": "basic",
        "description": "username = api_key, password = api_secret",
    }
    schema["security"] = [{"HTTPBasic": []}]
    app.openapi_schema = schema
    return schema
