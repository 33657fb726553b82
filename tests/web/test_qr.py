"""QR codes and label sheets on both databases: the URL a code holds, PNG and PDF sheets, access."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from inventory.inspections import labels
from tests import factories as f
from tests.web.test_asset_page import create, sign_in


def modules(png: bytes, box: int) -> list[list[bool]]:
    """The dark/light modules of a QR PNG drawn ``box`` pixels per module."""
    img = Image.open(io.BytesIO(png)).convert("L")
    size = img.width // box
    return [[img.getpixel((x * box + box // 2, y * box + box // 2)) < 128 for x in range(size)]
            for y in range(size)]


def test_the_code_holds_the_absolute_url_of_the_status_page(client: Any, auth: Any) -> None:
    key = create(client, auth, f.pipeline())
    sign_in(client, "inspector", "inspector-demo-2026")
    resp = client.get(f"/qr/pipelines/{key}.png?box=6")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    png = resp.get_data()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    expected = labels.qr_matrix(f"http://localhost/s/pipelines/{key}")
    img = Image.open(io.BytesIO(png))
    assert img.width == img.height == len(expected) * 6
    assert modules(png, 6) == expected
    assert modules(png, 6) != labels.qr_matrix(f"http://localhost/s/pipelines/{key + 1}")


def test_codes_follow_the_divisions_and_need_sign_in(client: Any, auth: Any) -> None:
    key = create(client, auth, f.pipeline())
    assert client.get(f"/qr/pipelines/{key}.png").status_code == 302  # to the login page
    sign_in(client, "engineer_sc", "engineer-demo-2026")  # 上城区 only; the pipe is in 西湖区
    assert client.get(f"/qr/pipelines/{key}.png").status_code == 403
    assert client.get("/qr/pipelines/99999999.png").status_code == 404
    assert client.get(f"/qr/risk-five-colour/{key}.png").status_code == 404  # maps get no labels


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def test_label_sheets_as_pdf_one_page_per_24_labels_and_png(client: Any, auth: Any) -> None:
    keys = [create(client, auth, f.pipeline(name=f"文三路给水管 {n}")) for n in range(labels.PER_PAGE + 1)]
    create(client, auth, f.pipeline(at=f.SHANGCHENG, name="上城区的管"))
    sign_in(client, "inspector", "inspector-demo-2026")
    form = client.get("/qr/labels")
    assert form.status_code == 200 and 'name="division"' in form.get_data(as_text=True)
    pdf = client.get("/qr/labels?division=330106&collection=pipelines&format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF-")
    assert pdf.headers["X-Label-Count"] == str(len(keys)) and pdf.headers["X-Label-Pages"] == "2"
    assert pdf_pages(pdf.get_data()) == 2
    png = client.get("/qr/labels?division=330106&collection=pipelines&format=png")
    assert png.status_code == 200 and png.get_data().startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(png.get_data()))
    assert img.size == (1654, 2339)  # A4 at 200 dpi
    second = Image.open(io.BytesIO(client.get(
        "/qr/labels?division=330106&collection=pipelines&format=png&page=2").get_data()))
    # the second page holds one label: its top-left corner is drawn, the rest is white
    assert second.convert("L").crop((0, 600, 1654, 2339)).getextrema() == (255, 255)
    assert client.get("/qr/labels?division=330102&collection=pipelines&format=pdf").status_code == 403


def test_an_empty_division_gives_one_empty_page(client: Any, auth: Any) -> None:
    sign_in(client, "admin", "admin-demo-2026")
    pdf = client.get("/qr/labels?division=330106&collection=shelters&format=pdf")
    assert pdf.status_code == 200 and pdf_pages(pdf.get_data()) == 1
    assert pdf.headers["X-Label-Count"] == "0"


def test_a_large_division_comes_in_parts(client: Any, auth: Any, monkeypatch: Any) -> None:
    from web.pages import qr

    monkeypatch.setattr(qr, "MAX_LABELS", 2)
    keys = [create(client, auth, f.pipeline(name=f"管 {n}")) for n in range(3)]
    sign_in(client, "inspector", "inspector-demo-2026")
    first = client.get("/qr/labels?division=330106&collection=pipelines&format=pdf")
    second = client.get("/qr/labels?division=330106&collection=pipelines&format=pdf&part=2")
    assert (first.headers["X-Label-Count"], second.headers["X-Label-Count"]) == ("2", "1")
    assert first.headers["X-Label-Total"] == "3" and 'filename="qr-pipelines-330106-2.pdf"' in \
        second.headers["Content-Disposition"]
    assert client.get("/qr/labels?division=330106&collection=pipelines&format=pdf&part=3").status_code == 422
    assert len(keys) == 3


def test_a_public_url_goes_on_the_labels_and_a_loopback_one_is_warned_about(
        client: Any, auth: Any, app: Any) -> None:
    key = create(client, auth, f.pipeline())
    sign_in(client, "inspector", "inspector-demo-2026")
    me = auth.headers("inspector")  # the cookie belongs to localhost; these hosts differ
    form = client.get("/qr/labels", base_url="http://127.0.0.1:5000",
                      headers=me).get_data(as_text=True)
    assert 'id="labels-loopback"' in form and "RESILIENCE_PUBLIC_URL" in form
    fine = client.get("/qr/labels", base_url="http://10.20.30.40:8000",
                      headers=me).get_data(as_text=True)
    assert 'id="labels-loopback"' not in fine
    from dataclasses import replace

    cfg = app.extensions["resilience"]
    cfg["settings"] = replace(cfg["settings"], public_url="https://gx.hz.gov.cn/registry")
    png = client.get(f"/qr/pipelines/{key}.png?box=6").get_data()
    assert modules(png, 6) == labels.qr_matrix(f"https://gx.hz.gov.cn/registry/s/pipelines/{key}")
    public = client.get("/qr/labels", base_url="http://127.0.0.1:5000",
                        headers=me).get_data(as_text=True)
    assert 'id="labels-loopback"' not in public
