"""Text encodings of survey files: UTF-8 (with or without BOM) or GBK/GB18030, detected."""

from __future__ import annotations

from pathlib import Path

SAMPLE = 1 << 20


def detect(path: Path, declared: str | None = None) -> str:
    """The encoding to read a text file with: the declared one, else UTF-8, else GB18030.

    GB18030 is a superset of GBK and GB2312, so a Chinese file that is not valid UTF-8 is
    read with it. UTF-8 files keep working with or without a byte-order mark.
    """
    if declared:
        # A declared UTF-8 still tolerates the byte-order mark Excel writes; GBK is read as
        # its superset GB18030, which also decodes what GBK cannot.
        normal = declared.strip().lower().replace("_", "-")
        return {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gb18030",
                "gb2312": "gb18030"}.get(normal, declared)
    with path.open("rb") as f:
        head = f.read(SAMPLE)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start > len(head) - 4:  # a character cut by the sample's end
            return "utf-8"
    return "gb18030"
