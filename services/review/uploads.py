"""Uploads from the app: one side, both sides, URLs, or a batch of files and zips of pairs.

A batch is planned first (which files make one document, what is refused and why) and then
submitted one document at a time, so that a zip of a thousand pairs never sits unpacked in memory.
Zip members are read with a size cap whatever their header claims, nested archives and encrypted
members are refused, and the whole batch is bounded in file count and unpacked bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable, Iterable, Optional, Sequence

from services.core.config import Settings
from services.core.url_fetch import FetchPolicy, SafeFetcher
from services.domain.people import Principal
from services.domain.schema import ErrorCode, SeedError
from services.review.intake import SIDE_ANY, BatchProgress, ImageInput, IntakeService, Submission

Loader = Callable[[], bytes]
Enqueue = Callable[[int], None]

# `car7_front.jpg`, `car7-back.png`, `CAR7 FRONT.jpeg`: the pair key is what comes before.
_SIDE_SUFFIX = re.compile(r"^(?P<key>.*?)[\s_.-]+(?P<side>front|back)$", re.IGNORECASE)
_ZIP_MAGIC = b"PK\x03\x04"
_ARCHIVE_SUFFIXES = {".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz"}


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class PlannedImage:
    side: str
    filename: str
    load: Loader


@dataclass(frozen=True)
class PlannedDocument:
    name: str
    images: tuple[PlannedImage, ...]


@dataclass(frozen=True)
class Refusal:
    name: str
    detail: str


@dataclass
class BatchPlan:
    documents: list[PlannedDocument] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class Duplicate:
    """A file already uploaded: not stored or extracted again unless the user insists."""

    name: str
    existing: int  # the document that already holds it


@dataclass
class UploadReport:
    batch_id: Optional[int]
    documents: list[tuple[int, str]] = field(default_factory=list)  # (document id, name)
    refused: list[Refusal] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    # The planned documents that were duplicates, to upload anyway on request.
    held_back: list[PlannedDocument] = field(default_factory=list)


@dataclass(frozen=True)
class BatchLimits:
    max_file_bytes: int
    max_files: int
    max_total_bytes: int


def readable_size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def side_of(filename: str) -> tuple[str, str]:
    """(pair key, side) from a file name; side is `any` when the name does not say."""
    stem = PurePosixPath(filename).stem
    match = _SIDE_SUFFIX.match(stem)
    if match and match.group("key"):
        return match.group("key").lower(), match.group("side").lower()
    return stem.lower(), SIDE_ANY


def _is_zip(file: UploadedFile) -> bool:
    return file.data[:4] == _ZIP_MAGIC or file.name.lower().endswith(".zip")


class _Budget:
    """Counts files and unpacked bytes across the whole batch."""

    def __init__(self, limits: BatchLimits) -> None:
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def take_file(self) -> bool:
        self.files += 1
        return self.files <= self.limits.max_files

    def take_bytes(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_total_bytes:
            raise SeedError(ErrorCode.BAD_IMAGE,
                            f"the batch unpacks to more than {readable_size(self.limits.max_total_bytes)}")


def _member_loader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Loader:
    def load() -> bytes:
        cap = budget.limits.max_file_bytes
        with archive.open(info) as member:
            # Read one byte past the cap: a header that lies about the size cannot make us
            # inflate more than that.
            data = member.read(cap + 1)
        if len(data) > cap:
            raise SeedError(ErrorCode.BAD_IMAGE, f"the file is larger than {readable_size(cap)}")
        budget.take_bytes(len(data))
        return data

    return load


def _bytes_loader(data: bytes, budget: _Budget) -> Loader:
    def load() -> bytes:
        budget.take_bytes(len(data))
        return data

    return load


def _zip_members(file: UploadedFile, budget: _Budget, plan: BatchPlan) -> list[tuple[str, Loader]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(file.data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        plan.refused.append(Refusal(file.name, f"not a readable zip file ({type(exc).__name__})"))
        return []
    members: list[tuple[str, Loader]] = []
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        name = path.name
        label = f"{file.name}: {info.filename}"
        if info.is_dir() or not name or name.startswith(".") or "__MACOSX" in path.parts:
            continue
        if path.suffix.lower() in _ARCHIVE_SUFFIXES:
            plan.refused.append(Refusal(label, "archives inside an archive are not accepted"))
            continue
        if info.flag_bits & 0x1:
            plan.refused.append(Refusal(label, "encrypted files are not accepted"))
            continue
        if info.file_size > budget.limits.max_file_bytes:
            plan.refused.append(Refusal(label, f"the file is larger than "
                                               f"{readable_size(budget.limits.max_file_bytes)}"))
            continue
        if not budget.take_file():
            plan.refused.append(Refusal(label, f"the batch has more than {budget.limits.max_files} files"))
            break
        members.append((name, _member_loader(archive, info, budget)))
    return members


def plan_batch(files: Iterable[UploadedFile], limits: BatchLimits) -> BatchPlan:
    """Which files make which document: `x_front.*` and `x_back.*` pair up, any other file is a
    document of its own (the engine tells its side)."""
    plan = BatchPlan()
    budget = _Budget(limits)
    entries: list[tuple[str, Loader]] = []
    for file in files:
        if _is_zip(file):
            entries += _zip_members(file, budget, plan)
        elif PurePosixPath(file.name).suffix.lower() in _ARCHIVE_SUFFIXES:
            plan.refused.append(Refusal(file.name, "only zip archives are accepted"))
        elif not budget.take_file():
            plan.refused.append(Refusal(file.name, f"the batch has more than {limits.max_files} files"))
        else:
            entries.append((file.name, _bytes_loader(file.data, budget)))

    pairs: dict[str, dict[str, tuple[str, Loader]]] = {}
    order: list[str] = []
    for name, load in entries:
        key, side = side_of(name)
        if side == SIDE_ANY:
            plan.documents.append(PlannedDocument(name, (PlannedImage(SIDE_ANY, name, load),)))
            continue
        sides = pairs.setdefault(key, {})
        if key not in order:
            order.append(key)
        if side in sides:
            plan.refused.append(Refusal(name, f"a second {side} side for {sides[side][0]}"))
            continue
        sides[side] = (name, load)
    for key in order:
        sides = pairs[key]
        images = tuple(PlannedImage(side, sides[side][0], sides[side][1])
                       for side in ("front", "back") if side in sides)
        plan.documents.append(PlannedDocument(" + ".join(i.filename for i in images), images))
    return plan


def single(files: Sequence[tuple[str, UploadedFile]]) -> BatchPlan:
    """One document from one or two chosen files: (side, file) each."""
    images = tuple(PlannedImage(side, f.name, (lambda data=f.data: data)) for side, f in files)
    return BatchPlan(documents=[PlannedDocument(" + ".join(f.name for _, f in files), images)])


class UploadService:
    def __init__(self, intake: IntakeService, limits: BatchLimits, backend: Callable[[], str]) -> None:
        self.intake = intake
        self.limits = limits
        self.backend = backend

    def submit(self, plan: BatchPlan, user: Principal, *, source: str, enqueue: Enqueue,
               batch_name: str = "", allow_duplicates: bool = False) -> UploadReport:
        """Store each planned document and queue its extraction; refused ones store nothing.
        A file uploaded before is not stored again (the report names the document that holds
        it) unless `allow_duplicates`. The batch is made only once a document is stored, so a
        refused or duplicate file makes no empty batch."""
        report = UploadReport(batch_id=None, refused=list(plan.refused))
        backend = self.backend()
        for document in plan.documents:
            try:
                images = [ImageInput(image.load(), image.side, image.filename) for image in document.images]
                existing = [] if allow_duplicates else self.intake.already_stored(images)
                if existing:
                    report.duplicates.append(Duplicate(document.name, existing[0]))
                    report.held_back.append(document)
                    continue
                if report.batch_id is None:
                    report.batch_id = self.intake.create_batch(batch_name or document.name, len(plan.documents),
                                                               user.id)
                document_id = self.intake.submit(Submission(
                    images=images, source=source, source_detail=document.name, created_by=user.id,
                    batch_id=report.batch_id, backend=backend, actor=user.username,
                ))
            except SeedError as exc:
                report.refused.append(Refusal(document.name, exc.detail or exc.code.message))
                continue
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                report.refused.append(Refusal(document.name, f"the file could not be read ({type(exc).__name__})"))
                continue
            enqueue(document_id)
            report.documents.append((document_id, document.name))
        return report

    def progress(self, report: UploadReport) -> BatchProgress:
        """How far the batch's extractions are, counted against the documents accepted (the
        batch's stored total also counts those refused while submitting)."""
        if report.batch_id is None:
            return BatchProgress(total=0)
        counts = self.intake.batch_progress(report.batch_id).counts
        return BatchProgress(total=len(report.documents), counts=counts)


def url_plan(urls: Sequence[tuple[str, str]], fetch: Callable[[str], bytes]) -> BatchPlan:
    """One document from one or two image URLs: (side, url) each, fetched now so that a dead or
    refused URL is reported at once and nothing is stored."""
    images: list[PlannedImage] = []
    for side, url in urls:
        try:
            data = fetch(url)
        except SeedError as exc:
            return BatchPlan(refused=[Refusal(url, exc.detail or exc.code.message)])
        name = PurePosixPath(url.split("?", 1)[0]).name or url
        images.append(PlannedImage(side, name[:255], (lambda data=data: data)))
    return BatchPlan(documents=[PlannedDocument(" + ".join(url for _, url in urls), tuple(images))])


def safe_fetcher(settings: Settings) -> Callable[[str], bytes]:
    """The API server's SSRF-safe fetcher, with the same allow-list, timeout and size limit."""
    return SafeFetcher(FetchPolicy.from_settings(settings)).fetch


def limits_from(settings: Settings) -> BatchLimits:
    return BatchLimits(max_file_bytes=settings.max_upload_bytes, max_files=settings.max_batch_files,
                       max_total_bytes=settings.max_batch_bytes)
