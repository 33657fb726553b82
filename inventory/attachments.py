"""Photos, drawings and documents attached to an asset, kept in the instance folder or a bucket.

Where the bytes live is a setting (the instance folder, or S3-compatible storage). A file's
type is read from its first bytes, not from its name or the browser's word for it, and only
the kinds engineers attach are taken (JPEG, PNG, WebP, GIF, TIFF, PDF, DWG, DXF).
Files are stored by their SHA-256, so the same photo attached twice is kept once; every
attach and detach is an audit entry of the asset.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy import ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from inventory import service
from resilience import audit
from resilience.accounts import Principal
from resilience.errors import InvalidInput, NotFound, PayloadTooLarge, Problem, ServiceUnavailable
from resilience.model import Base, UTCDateTime, now

FOLDER = "attachments"
MAX_BYTES = 20 * 1024 * 1024
PER_ASSET = 50

# (first bytes, offset) -> (MIME type, extension)
SIGNATURES: list[tuple[bytes, int, str, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"GIF87a", 0, "image/gif", ".gif"),
    (b"GIF89a", 0, "image/gif", ".gif"),
    (b"WEBP", 8, "image/webp", ".webp"),
    (b"II*\x00", 0, "image/tiff", ".tif"),
    (b"MM\x00*", 0, "image/tiff", ".tif"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"AC10", 0, "image/vnd.dwg", ".dwg"),
]
_DXF = re.compile(rb"^\s*0\s*\r?\n\s*SECTION", re.S)
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff ]+")


class Attachment(Base):
    """One file attached to one asset."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_record", "collection", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    note: Mapped[str | None] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class Store(Protocol):
    """Where attachment bytes live, by SHA-256; uploads are received in ``scratch`` first."""

    scratch: Path

    def put(self, sha256: str, received: Path) -> None:
        """Keep a received file under its digest (once: the same bytes are stored once)."""

    def open(self, sha256: str) -> BinaryIO | None:
        """The stored bytes as a stream, or None when they are gone."""

    def delete(self, sha256: str) -> None:
        """Forget the bytes (no error when they are already gone)."""


class FolderStore:
    """The instance folder: ``<instance>/attachments/<sha[:2]>/<sha>``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.scratch = self.root / FOLDER

    def path(self, sha256: str) -> Path:
        """The file of a stored attachment."""
        return self.root / FOLDER / sha256[:2] / sha256

    def put(self, sha256: str, received: Path) -> None:
        """Move the received file into place, unless those bytes are already kept."""
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.move(str(received), target)

    def open(self, sha256: str) -> BinaryIO | None:
        """The kept file, opened for reading."""
        path = self.path(sha256)
        return path.open("rb") if path.is_file() else None

    def delete(self, sha256: str) -> None:
        """Remove the kept file."""
        self.path(sha256).unlink(missing_ok=True)


class BucketStore:
    """S3-compatible object storage (MinIO, a cloud bucket): ``s3://bucket/prefix``.

    Credentials come from the usual AWS variables or files; ``endpoint`` names a server that
    is not AWS (an intranet MinIO). boto3 is an optional dependency (``pip install
    resilience[s3]``).
    """

    def __init__(self, url: str, scratch: Path, endpoint: str | None = None, client: Any = None):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.scratch = Path(scratch) / FOLDER
        if client is None:
            try:
                import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints
            except ImportError as error:
                raise ServiceUnavailable("boto3 is needed for s3:// attachments: pip install "
                                         "'resilience[s3]'") from error
            client = boto3.client("s3", endpoint_url=endpoint or None)
        self.client = client

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256[:2]}/{sha256}" if self.prefix else f"{sha256[:2]}/{sha256}"

    def put(self, sha256: str, received: Path) -> None:
        """Upload the received file, unless the bucket holds those bytes already."""
        if self.open(sha256) is None:
            self.client.upload_file(str(received), self.bucket, self._key(sha256))

    def open(self, sha256: str) -> BinaryIO | None:
        """The object's body, streamed."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"]  # type: ignore[no-any-return]
        except self.client.exceptions.NoSuchKey:
            return None

    def delete(self, sha256: str) -> None:
        """Remove the object."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))


def store_for(url: str, instance: Path, endpoint: str | None = None) -> Store:
    """The store the settings name: ``s3://bucket/prefix``, else the instance folder."""
    if url.startswith("s3://"):
        return BucketStore(url, instance, endpoint)
    return FolderStore(instance)


def sniff(head: bytes) -> tuple[str, str] | None:
    """The MIME type and extension the first bytes show, or None for a kind not taken."""
    for magic, offset, mime, ext in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return mime, ext
    if _DXF.match(head[:64]):
        return "image/vnd.dxf", ".dxf"
    return None


def safe_filename(name: str, ext: str) -> str:
    """A display name without folders or odd characters, ending in the sniffed extension."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip(" ._") or "file"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return (stem[:150] + ext)


def add(session: Session, store: Store, collection: str, record_id: int, filename: str,
        stream: BinaryIO, by: Principal, *, note: str | None = None,
        max_bytes: int = MAX_BYTES) -> Attachment:
    """Attach a file to an asset the user may edit: type and size checked, nothing half-stored."""
    spec = service.writable(collection)
    record = service.get_record(session, spec, record_id)
    spec.require_edit(by, record.division_code)
    count = session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.collection == spec.name, Attachment.record_id == record_id)) or 0
    if count >= PER_ASSET:
        raise InvalidInput("too many attachments", [Problem("file", "too_many_attachments",
                                                            {"max": PER_ASSET})])
    digest, size, head, scratch = _receive(store, stream, max_bytes)
    try:
        kind = sniff(head)
        if kind is None:
            raise InvalidInput("type not taken", [Problem("file", "attachment_type", {
                "value": Path(filename).suffix or "?", "allowed": sorted({e for *_, e in SIGNATURES} | {".dxf"})})])
        store.put(digest, scratch)
    finally:
        scratch.unlink(missing_ok=True)
    item = Attachment(collection=spec.name, record_id=record_id, division_code=record.division_code,
                      filename=safe_filename(filename, kind[1]), content_type=kind[0], size=size,
                      sha256=digest, note=(note or "").strip()[:200] or None, uploaded_by=by.username)
    session.add(item)
    session.flush()
    audit.record(session, actor=by.username, action="attach", collection=spec.name,
                 record_id=record_id, division_code=record.division_code, before=None,
                 after={"attachment": item.filename, "attachment_id": item.id, "size": size})
    return item


def _receive(store: Store, stream: BinaryIO, max_bytes: int) -> tuple[str, int, bytes, Path]:
    """Copy the upload to a scratch file while hashing it; refuse it once it passes the limit."""
    store.scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=store.scratch, prefix=".upload-")
    scratch = Path(name)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with open(fd, "wb") as out:
            while chunk := stream.read(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge("attachment too large", [Problem(
                        "file", "attachment_too_large", {"max": max_bytes})])
                if len(head) < 64:
                    head += chunk[:64 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    if size == 0:
        scratch.unlink(missing_ok=True)
        raise InvalidInput("empty file", [Problem("file", "empty_file", {"value": ""})])
    return digest.hexdigest(), size, head, scratch


def of_record(session: Session, collection: str, record_id: int) -> list[Attachment]:
    """An asset's attachments, oldest first."""
    return list(session.scalars(select(Attachment).where(
        Attachment.collection == collection, Attachment.record_id == record_id).order_by(Attachment.id)))


def get(session: Session, attachment_id: int, by: Principal) -> Attachment:
    """An attachment the user may read, or NotFound / Forbidden."""
    item = session.get(Attachment, attachment_id)
    if item is None:
        raise NotFound("no such attachment", [Problem("attachment", "not_found", {"value": attachment_id})])
    by.require_read(item.division_code)
    return item


def remove(session: Session, store: Store, attachment_id: int, by: Principal) -> None:
    """Detach a file (the bytes go when no other attachment shares them)."""
    item = get(session, attachment_id, by)
    service.writable(item.collection).require_edit(by, item.division_code)
    session.delete(item)
    session.flush()
    audit.record(session, actor=by.username, action="detach", collection=item.collection,
                 record_id=item.record_id, division_code=item.division_code,
                 before={"attachment": item.filename, "attachment_id": item.id}, after=None)
    shared = session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.sha256 == item.sha256))
    if not shared:
        store.delete(item.sha256)
