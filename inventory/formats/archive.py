"""Zip archives as survey tools send them, unpacked safely: no path escapes, links or zip bombs.

A Shapefile or a File Geodatabase arrives as a zip. GDAL could read inside it, but unpacking
into a private temporary directory lets us refuse hostile archives first and hand GDAL plain
files. The limits are checked on the sizes the archive declares and again on the bytes
actually written, since a forged header can lie.
"""

from __future__ import annotations

import errno
import re
import shutil
import stat
import tempfile
import weakref
import zipfile
import zlib
from pathlib import Path
from types import TracebackType

from resilience.errors import InvalidInput, Problem

MAX_SIZE = 2 * 1024**3  # total bytes an archive may unpack to
MAX_RATIO = 200  # uncompressed : compressed, for members bigger than RATIO_FLOOR
RATIO_FLOOR = 10 * 1024**2
CHUNK = 1024**2
_UTF8_NAMES = 0x800  # general purpose flag bit 11: the member name is UTF-8
_DRIVE = re.compile(r"^[A-Za-z]:")


class Unpacked:
    """A temporary directory holding an archive's files; removed on ``close()`` or when collected.

    Whoever reads the files holds this object (a Source's ``records`` closure, and so every
    iteration in progress); the directory goes when the last of them lets go.
    """

    def __init__(self, root: Path):
        self.root = root
        self._remove = weakref.finalize(self, shutil.rmtree, root, ignore_errors=True)

    def close(self) -> None:
        """Delete the unpacked files now (closing twice is harmless)."""
        self._remove()

    def __enter__(self) -> Unpacked:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _not_a_zip(path: Path, error: BaseException) -> InvalidInput:
    return InvalidInput("not a readable zip archive", [Problem("file", "not_a_zip", {
        "value": path.name, "reason": str(error)[:120]})])


def _too_large(name: str, size: int, limit: int) -> InvalidInput:
    return InvalidInput("archive too large", [Problem("file", "archive_too_large", {
        "value": name, "size": size, "max": limit})])


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it.

    Zips made on Chinese Windows store GBK names without the UTF-8 flag; Python then decodes
    them as CP437, which would give the unpacked files (and the layer names) garbled names.
    """
    name = info.filename
    if not info.flag_bits & _UTF8_NAMES:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            raw = None
        if raw is not None:
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                name = raw.decode("gb18030", errors="replace")
    return name.replace("\\", "/")  # some Windows tools write backslashes


def _safe_parts(info: zipfile.ZipInfo, name: str) -> tuple[str, ...]:
    """The member's path components, or an error if it could land outside the directory."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    unsafe = (name.startswith("/") or bool(_DRIVE.match(name))
              or ".." in name.split("/") or (kind and kind not in (stat.S_IFREG, stat.S_IFDIR)))
    if unsafe:  # absolute, escaping, or a link / device rather than a plain file
        raise InvalidInput("unsafe archive member", [Problem("file", "unsafe_archive_path",
                                                             {"value": name})])
    return tuple(p for p in name.split("/") if p not in ("", "."))


def check_sizes(path: Path, members: list[zipfile.ZipInfo], *, max_size: int = MAX_SIZE,
                max_ratio: float | None = MAX_RATIO) -> None:
    """Refuse an archive by its declared sizes: too big in total, or a member compressed absurdly."""
    total = sum(info.file_size for info in members)
    if total > max_size:
        raise _too_large(path.name, total, max_size)
    if max_ratio is None:
        return
    for info in members:
        if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * info.compress_size:
            raise _too_large(info.filename, info.file_size, int(max_ratio * info.compress_size))


def unpack(path: Path, *, max_size: int = MAX_SIZE, max_ratio: float = MAX_RATIO) -> Unpacked:
    """Unpack a zip into a new temporary directory, refusing hostile or broken archives."""
    unpacked = Unpacked(Path(tempfile.mkdtemp(prefix="resilience-zip-")))
    try:
        _extract(path, unpacked.root, max_size, max_ratio)
    except BaseException:
        unpacked.close()
        raise
    return unpacked


def _extract(path: Path, root: Path, max_size: int, max_ratio: float) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise _not_a_zip(path, error) from error
    with archive:
        members = archive.infolist()
        check_sizes(path, members, max_size=max_size, max_ratio=max_ratio)
        written = 0
        for info in members:
            name = _member_name(info)
            parts = _safe_parts(info, name)
            if not parts:
                continue
            target = root.joinpath(*parts)
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                written += _copy(archive, info, target, name, max_size - written, max_ratio)
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
                    OSError) as error:
                # truncated data, a bad CRC, an encrypted member, an unknown compression
                # method, a file and a folder of the same name, a name too long to create
                if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise  # our disk is full: not the file's fault
                raise _not_a_zip(path, error) from error


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, name: str,
          budget: int, max_ratio: float) -> int:
    """Copy one member, counting the bytes: declared sizes are only a claim."""
    count = 0
    ratio_limit = max(RATIO_FLOOR, int(max_ratio * info.compress_size))
    with archive.open(info) as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            count += len(chunk)
            if count > budget:
                raise _too_large(name, count, budget)
            if count > ratio_limit:
                raise _too_large(name, count, ratio_limit)
            dst.write(chunk)
    return count
