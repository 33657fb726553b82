"""QR codes and printable label sheets for assets (rows in, PNG or PDF bytes out).

Each asset carries a label whose QR code opens its status page when an inspector scans it
(DOMAIN.md §10: per-asset QR codes until the 浙江安全码 rules are known). Sheets are A4 at
200 dpi in a 3 × 8 grid (70 × 37 mm labels, the common self-adhesive sheet); a PDF has one
page per 24 labels. Pillow draws and writes the PDF, so no other PDF library is needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

DPI = 200
A4_MM = (210.0, 297.0)
COLUMNS, ROWS = 3, 8
PER_PAGE = COLUMNS * ROWS
LABEL_MM = (70.0, 37.0)
# Fonts with Chinese glyphs, first found wins; without one, Pillow's own (Latin only).
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


@dataclass(frozen=True)
class Label:
    """What one label shows: the QR code's URL, the asset's name, its reference, its division."""

    url: str
    name: str
    ref: str  # "pipelines/17"
    division: str


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR modules for a URL, quiet zone included (what a test compares a PNG against)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_image(url: str, box: int = 8) -> Image.Image:
    """The QR code of a URL as a black-on-white image, ``box`` pixels per module."""
    matrix = qr_matrix(url)
    size = len(matrix)
    img = Image.new("1", (size, size), 1)
    img.putdata([0 if dark else 1 for row in matrix for dark in row])
    return img.resize((size * box, size * box), Image.Resampling.NEAREST)


def qr_png(url: str, box: int = 8) -> bytes:
    """The QR code of a URL as PNG bytes."""
    buf = io.BytesIO()
    qr_image(url, box).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_CANDIDATES:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
         width: int) -> str:
    """The text cut with an ellipsis so that it fits the width."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
          width: int, lines: int) -> list[str]:
    """At most ``lines`` lines of the text, broken by character (Chinese has no spaces)."""
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        cut = len(rest)
        while cut > 1 and draw.textlength(rest[:cut], font=font) > width:
            cut -= 1
        out.append(rest[:cut])
        rest = rest[cut:]
    if rest and out:
        out[-1] = _fit(draw, out[-1] + rest, font, width)
    return out


def _draw_label(page: Image.Image, x: int, y: int, label: Label) -> None:
    """One label at (x, y): the QR code at the left, the text at the right, a cut line around."""
    w, h = _px(LABEL_MM[0]), _px(LABEL_MM[1])
    draw = ImageDraw.Draw(page)
    draw.rectangle((x, y, x + w - 1, y + h - 1), outline=(200, 200, 200))
    pad = _px(2)
    side = h - 2 * pad
    matrix = qr_matrix(label.url)
    box = max(1, side // len(matrix))
    code = qr_image(label.url, box).convert("RGB")
    page.paste(code, (x + pad + (side - code.width) // 2, y + pad + (side - code.height) // 2))
    tx, text_w = x + side + 2 * pad, w - side - 3 * pad
    big, small = _font(_px(3.6)), _font(_px(2.8))
    line_h, small_h = _px(4.6), _px(3.6)
    ty = y + pad + _px(1)
    for line in _wrap(draw, label.name or label.ref, big, text_w, 3):
        draw.text((tx, ty), line, font=big, fill=(0, 0, 0))
        ty += line_h
    ty = y + h - pad - 2 * small_h
    draw.text((tx, ty), _fit(draw, label.ref, small, text_w), font=small, fill=(0, 0, 0))
    draw.text((tx, ty + small_h), _fit(draw, label.division, small, text_w), font=small,
              fill=(60, 60, 60))


def pages(labels: Sequence[Label]) -> list[Image.Image]:
    """The A4 pages of a sheet, 24 labels each (one empty page when there are none)."""
    width, height = _px(A4_MM[0]), _px(A4_MM[1])
    w, h = _px(LABEL_MM[0]), _px(LABEL_MM[1])
    left, top = (width - COLUMNS * w) // 2, (height - ROWS * h) // 2
    out = []
    for start in range(0, max(len(labels), 1), PER_PAGE):
        page = Image.new("RGB", (width, height), (255, 255, 255))
        for i, label in enumerate(labels[start:start + PER_PAGE]):
            row, col = divmod(i, COLUMNS)
            _draw_label(page, left + col * w, top + row * h, label)
        out.append(page)
    return out


def sheet_pdf(labels: Sequence[Label], title: str = "") -> bytes:
    """Every page of the sheet as one PDF, printable at 100 % on A4."""
    images = pages(labels)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=DPI,
                   title=title or "QR labels")
    return buf.getvalue()


def sheet_png(labels: Sequence[Label], page: int = 1) -> bytes:
    """One page of the sheet (1-based) as PNG; pages past the end give the last one."""
    images = pages(labels[(max(page, 1) - 1) * PER_PAGE:] or labels[-PER_PAGE:])
    buf = io.BytesIO()
    images[0].save(buf, "PNG", optimize=True, dpi=(DPI, DPI))
    return buf.getvalue()


def page_count(count: int) -> int:
    """How many pages a sheet of ``count`` labels takes."""
    return max(1, -(-count // PER_PAGE))
