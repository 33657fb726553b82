"""dBase (.dbf), the attribute table of a Shapefile: guessing the encoding of its text.

GDAL recodes text from the .cpg or the header's code page; many Chinese files declare
neither, so the Shapefile reader asks here which encoding the bytes themselves point to.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

DBF_SAMPLE = 16 * 1024**2  # bytes of DBF records looked at to guess an undeclared encoding


def _dbf_texts(dbf: Path) -> Iterator[tuple[bytes, bool]]:
    """The field names and character values of a DBF sample, each with "fills its width"."""
    with dbf.open("rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return
        count, header_length, record_length = struct.unpack("<IHH", head[4:12])
        descriptors = f.read(max(header_length - 32, 0))
        body = f.read(min(count * record_length, DBF_SAMPLE))
    fields: list[tuple[int, int]] = []  # (offset in the record, width) of character fields
    offset = 1  # the deletion flag
    for start in range(0, len(descriptors) - 31, 32):
        item = descriptors[start:start + 32]
        if item[0] == 0x0D:
            break
        kind = chr(item[11])
        width = item[16] if kind in "NF" else item[16] + item[17] * 256  # as shapelib reads it
        yield item[:11].split(b"\0", 1)[0], False
        if kind == "C":
            fields.append((offset, width))
        offset += width
    for record in range(0, len(body) - record_length + 1, max(record_length, 1)):
        for start, width in fields:
            value = body[record + start:record + start + width]
            text = value.rstrip(b" \0")
            yield text, len(text) == width


def text_encoding(dbf: Path) -> str:
    """UTF-8 if every text in the DBF sample decodes strictly as UTF-8, else GB18030.

    A value cut by its field's width may end in half a UTF-8 character; that alone does not
    count against UTF-8. GB18030 is a superset of GBK, which Chinese tools write.
    """
    for text, full in _dbf_texts(dbf):
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as error:
            if not (full and error.reason == "unexpected end of data"):
                return "GB18030"
    return "UTF-8"
