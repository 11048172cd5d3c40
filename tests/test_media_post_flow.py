"""Media end to end, on the local backend and on a real S3-compatible server: upload through the
presigned URL, attach to a post, download the same bytes as a viewer of the post; nobody else sees it."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

from hearth_testing import register, request_url

API = "/api/v1"


# local URLs are served by the app itself; S3 URLs go to the S3 server over loopback
_send = request_url


def _user(client: TestClient) -> dict[str, Any]:
    user = register(client, "mf")
    return {"id": user.id, "h": user.headers}


def test_upload_attach_and_download_as_a_viewer(media_client: TestClient) -> None:
    c = media_client
    author, friend, outsider, stranger = _user(c), _user(c), _user(c), _user(c)
    for other in (friend, outsider):
        req = c.post(f"{API}/connections/requests", json={"user_id": other["id"]}, headers=author["h"]).json()
        assert c.post(f"{API}/connections/requests/{req['id']}/accept", headers=other["h"]).status_code == 200
    tag = c.post(f"{API}/tags", json={"name": "inner"}, headers=author["h"]).json()["id"]
    assert c.put(f"{API}/tags/{tag}/members/{friend['id']}", headers=author["h"]).status_code == 204

    data = secrets.token_bytes(4096)
    created = c.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": len(data)}, headers=author["h"])
    assert created.status_code == 201, created.text
    media_id = created.json()["media"]["id"]
    assert created.json()["media"]["status"] == "pending" and created.json()["media"]["url"] is None
    upload = created.json()["upload"]
    assert upload["method"] == "PUT"

    # not uploaded yet: it cannot go on a post
    early = c.post(
        f"{API}/posts",
        json={"body": "soon", "audience": {"type": "connections"}, "media_ids": [media_id]},
        headers=author["h"],
    )
    assert early.status_code == 409 and early.json()["code"] == "media_not_ready"

    put = _send(c, "PUT", upload["url"], content=data, headers=upload["headers"])
    assert put.status_code in (200, 204), put.text

    post = c.post(
        f"{API}/posts",
        json={"body": "look", "audience": {"type": "tags", "tag_ids": [tag]}, "media_ids": [media_id]},
        headers=author["h"],
    )
    assert post.status_code == 201, post.text
    pid = post.json()["id"]
    assert [m["id"] for m in post.json()["media"]] == [media_id]
    # read by the insert itself, after the upload was confirmed in the same transaction
    assert post.json()["media"][0]["status"] == "ready" and post.json()["media"][0]["url"]

    # the friend (in the tag) sees the post, its media and the bytes
    seen = c.get(f"{API}/posts/{pid}", headers=friend["h"]).json()
    media = seen["media"][0]
    assert media["status"] == "ready" and media["size_bytes"] == len(data) and media["url"]
    assert _send(c, "GET", media["url"]).content == data
    assert c.get(f"{API}/media/{media_id}", headers=friend["h"]).json()["url"] == media["url"]  # cached URL
    feed_media = [p["media"] for p in c.get(f"{API}/feed", headers=friend["h"]).json()["items"] if p["id"] == pid]
    assert feed_media and feed_media[0][0]["id"] == media_id

    # outside the audience: the media does not exist for them
    for who in (outsider, stranger):
        assert c.get(f"{API}/media/{media_id}", headers=who["h"]).status_code == 404
        assert c.get(f"{API}/posts/{pid}", headers=who["h"]).status_code == 404

    # someone else's media cannot be attached
    theirs = c.post(
        f"{API}/posts",
        json={"body": "mine now", "audience": {"type": "connections"}, "media_ids": [media_id]},
        headers=friend["h"],
    )
    assert theirs.status_code == 404

    # untagging the friend takes the media away too
    assert c.delete(f"{API}/tags/{tag}/members/{friend['id']}", headers=author["h"]).status_code == 204
    assert c.get(f"{API}/media/{media_id}", headers=friend["h"]).status_code == 404
