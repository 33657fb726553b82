"""Attachments on both databases: types read from the bytes, size limit, access, audit, removal."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from inventory import attachments
from resilience import accounts, audit
from resilience.errors import Forbidden, InvalidInput, PayloadTooLarge
from tests import factories as f
from tests.web.test_asset_page import create, csrf, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 30


def principal(session: Session, name: str) -> accounts.Principal:
    return accounts.principal_of(accounts.get_user(session, name))


@pytest.mark.parametrize(("head", "kind"), [
    (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"), (PNG, "image/png"), (b"RIFF\x00\x00\x00\x00WEBPVP8", "image/webp"),
    (PDF, "application/pdf"), (b"AC1032\x00", "image/vnd.dwg"), (b"  0\r\nSECTION\r\n  2\r\nHEADER", "image/vnd.dxf"),
    (b"MZ\x90\x00 an exe", None), (b"<html><script>", None), (b"PK\x03\x04 a zip", None)])
def test_the_type_comes_from_the_first_bytes(head: bytes, kind: str | None) -> None:
    found = attachments.sniff(head)
    assert (found[0] if found else None) == kind


@pytest.fixture(params=["folder", "bucket"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """The instance folder, and an S3 bucket (moto's in-process S3: no server here)."""
    if request.param == "folder":
        yield attachments.store_for("", tmp_path)
        return
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="registry")
        yield attachments.BucketStore("s3://registry/attachments", tmp_path, client=client)


def kept(store: Any, sha256: str) -> bytes | None:
    stream = store.open(sha256)
    return None if stream is None else stream.read()


def test_attach_list_and_remove_with_audit(session: Session, store: Any) -> None:
    from inventory import service

    engineer = principal(session, "engineer")
    pipe = service.create(session, "pipelines", f.pipeline(), service.WriteContext(by=engineer, extent=None))
    item = attachments.add(session, store, "pipelines", pipe.id, "../../现场照片.jpeg", io.BytesIO(PNG), engineer,
                           note="井盖破损")
    assert (item.filename, item.content_type, item.size) == ("现场照片.png", "image/png", len(PNG))
    assert kept(store, item.sha256) == PNG
    again = attachments.add(session, store, "pipelines", pipe.id, "copy.png", io.BytesIO(PNG), engineer)
    assert again.sha256 == item.sha256  # the same bytes are kept once
    assert [a.id for a in attachments.of_record(session, "pipelines", pipe.id)] == [item.id, again.id]
    attachments.remove(session, store, item.id, engineer)
    assert kept(store, again.sha256) == PNG  # still used by the copy
    attachments.remove(session, store, again.id, engineer)
    assert kept(store, again.sha256) is None
    actions = [e.action for e in audit.history(session, "pipelines", pipe.id)]
    assert actions == ["create", "attach", "attach", "detach", "detach"]


def test_wrong_types_sizes_and_divisions_are_refused(session: Session, tmp_path: Path) -> None:
    from inventory import service

    store = attachments.FolderStore(tmp_path)
    admin = principal(session, "admin")
    pipe = service.create(session, "pipelines", f.pipeline(at=f.SHANGCHENG),
                          service.WriteContext(by=admin, extent=None))
    with pytest.raises(InvalidInput) as caught:
        attachments.add(session, store, "pipelines", pipe.id, "photo.jpg", io.BytesIO(b"MZ\x90 exe"), admin)
    assert caught.value.problems[0].code == "attachment_type"
    with pytest.raises(PayloadTooLarge):
        attachments.add(session, store, "pipelines", pipe.id, "big.pdf", io.BytesIO(PDF * 100), admin,
                        max_bytes=1000)
    with pytest.raises(Forbidden):  # 西湖区's engineer, 上城区's pipe
        attachments.add(session, store, "pipelines", pipe.id, "x.png", io.BytesIO(PNG), principal(session, "engineer"))
    assert list((tmp_path / "attachments").glob("*/*")) == []  # nothing half-stored
    assert list((tmp_path / "attachments").glob(".upload-*")) == []


def test_upload_view_and_remove_on_the_asset_page(client: Any, auth: Any) -> None:
    key = create(client, auth, f.pipeline())
    sign_in(client, "engineer", "engineer-demo-2026")
    url = f"/collections/pipelines/items/{key}"
    resp = client.post(f"{url}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, url), "file": (io.BytesIO(PDF), "竣工图.pdf"), "note": "<b>竣工</b>"})
    assert resp.status_code == 302 and "done=attach" in resp.location
    page = client.get(url).get_data(as_text=True)
    assert "竣工图.pdf" in page and "&lt;b&gt;竣工&lt;/b&gt;" in page
    link = re.search(r'href="(/attachments/\d+)"', page).group(1)
    file = client.get(link)
    assert file.status_code == 200 and file.data == PDF and file.mimetype == "application/pdf"
    bad = client.post(f"{url}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, url), "file": (io.BytesIO(b"<script>alert(1)</script>"), "x.jpg")})
    assert bad.status_code == 302 and "error=" in bad.location
    attachment_id = int(link.rsplit("/", 1)[1])
    gone = client.post(f"/attachments/{attachment_id}/delete", data={"csrf_token": csrf(client, url)})
    assert gone.status_code == 302
    assert client.get(link).status_code == 404


def test_another_division_cannot_read_an_attachment(client: Any, auth: Any, session: Session,
                                                    tmp_path: Path, app: Any) -> None:
    from inventory import service

    admin = principal(session, "admin")
    pipe = service.create(session, "pipelines", f.pipeline(at=f.SHANGCHENG),
                          service.WriteContext(by=admin, extent=None))
    store = attachments.FolderStore(Path(app.instance_path))  # where the app keeps them
    item = attachments.add(session, store, "pipelines", pipe.id, "a.png", io.BytesIO(PNG), admin)
    session.commit()
    sign_in(client, "engineer", "engineer-demo-2026")
    assert client.get(f"/attachments/{item.id}").status_code == 403


def test_the_asset_page_keeps_files_in_a_bucket_when_configured(settings: Any, sessions: Any,
                                                                auth: Any, monkeypatch: Any) -> None:
    from dataclasses import replace

    import boto3
    from moto import mock_aws

    from web.app import create_app

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="registry")
        app = create_app(replace(settings, attachments_url="s3://registry/attachments"))
        app.extensions["resilience"]["sessions"] = sessions
        client = app.test_client()
        key = create(client, auth, f.pipeline())
        sign_in(client, "engineer", "engineer-demo-2026")
        url = f"/collections/pipelines/items/{key}"
        resp = client.post(f"{url}/attachments", content_type="multipart/form-data", data={
            "csrf_token": csrf(client, url), "file": (io.BytesIO(PDF), "竣工图.pdf")})
        assert resp.status_code == 302 and "done=attach" in resp.location
        listed = boto3.client("s3").list_objects_v2(Bucket="registry", Prefix="attachments/")
        assert [o["Size"] for o in listed["Contents"]] == [len(PDF)]
        link = re.search(r'href="(/attachments/\d+)"', client.get(url).get_data(as_text=True)).group(1)
        assert client.get(link).data == PDF
