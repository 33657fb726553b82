"""Photos an inspector takes on a task: checked, shrunk and kept as attachments of the asset.

A phone photo is 3–12 MB; the registry keeps it as a JPEG of at most 1600 px on its longer
side (enough to read a gauge or a crack, a tenth of the bytes). The type is read from the
bytes and the image decoded, so a renamed file that is not a picture is refused with its
own message. The photo becomes an attachment of the inspected asset (the asset page lists
it); a checklist's photo answer holds the attachment's id. An inspector may add a photo to
an asset they can see without being allowed to edit it: the task is the permission, checked
by the caller. A retried upload of the same picture returns the attachment already made.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import service
from inventory.attachments import Attachment, Store, safe_filename, sniff
from resilience import audit
from resilience.accounts import Principal
from resilience.errors import InvalidInput, PayloadTooLarge, Problem

MAX_SIDE = 1600
QUALITY = 85
MAX_PIXELS = 60_000_000  # a 60-megapixel frame; larger is refused before it is decoded
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff")


def read_limited(stream: BinaryIO, max_bytes: int, field: str = "file") -> bytes:
    """The upload's bytes, refused as soon as it passes ``max_bytes``."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge("photo too large", [Problem(field, "attachment_too_large",
                                                          {"max": max_bytes})])
    if not data:
        raise InvalidInput("empty file", [Problem(field, "empty_file", {"value": ""})])
    return data


def shrink(data: bytes, field: str = "file", max_side: int = MAX_SIDE) -> bytes:
    """The picture as an upright JPEG no larger than ``max_side``; not a picture: InvalidInput."""
    kind = sniff(data[:64])
    if kind is None or kind[0] not in IMAGE_TYPES:
        raise InvalidInput("not an image", [Problem(field, "not_an_image", {
            "allowed": ["JPEG", "PNG", "WebP", "GIF", "TIFF"]})])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise InvalidInput("too many pixels", [Problem(field, "image_too_large", {
                        "value": f"{img.width}×{img.height}", "max": MAX_PIXELS})])
                img.load()
                upright = ImageOps.exif_transpose(img)
                rgb = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:
        raise InvalidInput("not an image", [Problem(field, "not_an_image", {
            "allowed": ["JPEG", "PNG", "WebP", "GIF", "TIFF"]})]) from error
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def attach(session: Session, store: Store, collection: str, record_id: int, jpeg: bytes,
           filename: str, by: Principal, *, note: str | None = None) -> Attachment:
    """Keep a shrunk photo as an attachment of the asset (audited); the same bytes once."""
    spec = service.collection(collection)
    record = service.get_record(session, spec, record_id)
    by.require_read(record.division_code)
    digest = hashlib.sha256(jpeg).hexdigest()
    existing = session.scalar(select(Attachment).where(
        Attachment.collection == spec.name, Attachment.record_id == record_id,
        Attachment.sha256 == digest, Attachment.uploaded_by == by.username).limit(1))
    if existing is not None:  # a retried upload after a dropped connection
        return existing
    store.scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=store.scratch, prefix=".photo-", delete=False) as tmp:
        tmp.write(jpeg)
    scratch = Path(tmp.name)
    try:
        store.put(digest, scratch)
    finally:
        scratch.unlink(missing_ok=True)
    item = Attachment(collection=spec.name, record_id=record_id, division_code=record.division_code,
                      filename=safe_filename(filename or "photo", ".jpg"), content_type="image/jpeg",
                      size=len(jpeg), sha256=digest, note=(note or "").strip()[:200] or None,
                      uploaded_by=by.username)
    session.add(item)
    session.flush()
    audit.record(session, actor=by.username, action="attach", collection=spec.name,
                 record_id=record_id, division_code=record.division_code, before=None,
                 after={"attachment": item.filename, "attachment_id": item.id, "size": item.size,
                        "note": item.note})
    return item
