"""An erased account leaves nothing behind: counted per table and per bucket (or media directory) before and
after the erasure job, on local disk and on SeaweedFS; the other accounts' counts do not move."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_testing import API, Api, AppUser, OwnSeaweed, run_jobs

# what of account :u each table holds
OWN_ROWS = {
    "users": "SELECT count(*) FROM users WHERE id = :u",
    "auth_tokens": "SELECT count(*) FROM auth_tokens WHERE user_id = :u",
    "one_time_tokens": "SELECT count(*) FROM one_time_tokens WHERE user_id = :u",
    "account_exports": "SELECT count(*) FROM account_exports WHERE user_id = :u",
    "connection_requests": "SELECT count(*) FROM connection_requests WHERE from_user_id = :u OR to_user_id = :u",
    "connections": "SELECT count(*) FROM connections WHERE user_a_id = :u OR user_b_id = :u",
    "blocks": "SELECT count(*) FROM blocks WHERE blocker_id = :u OR blocked_id = :u",
    "user_tags": "SELECT count(*) FROM user_tags WHERE owner_user_id = :u",
    "user_tag_members": "SELECT count(*) FROM user_tag_members WHERE owner_user_id = :u OR target_user_id = :u",
    "posts": "SELECT count(*) FROM posts WHERE author_id = :u",
    "comments": "SELECT count(*) FROM comments WHERE author_id = :u",
    "post_audience_tags": "SELECT count(*) FROM post_audience_tags WHERE post_id = ANY(:posts)",
    "post_media": "SELECT count(*) FROM post_media WHERE media_id = ANY(:media)",
    "media": "SELECT count(*) FROM media WHERE owner_id = :u",
    "home_timelines": "SELECT count(*) FROM home_timelines WHERE user_id = :u OR author_id = :u",
    "home_timeline_horizons": "SELECT count(*) FROM home_timeline_horizons WHERE user_id = :u",
    "invites": "SELECT count(*) FROM invites WHERE inviter_id = :u OR used_by_id = :u",
    "reactions": "SELECT count(*) FROM reactions WHERE user_id = :u OR post_id = ANY(:posts)",
    "notifications": "SELECT count(*) FROM notifications WHERE recipient_id = :u OR actor_id = :u",
    "queued jobs": "SELECT count(*) FROM procrastinate_jobs WHERE args @> jsonb_build_object('user_id', :u)",
}
# what of another account, :u, that never involved the erased one, :gone
OTHERS_ROWS = {
    "users": "SELECT count(*) FROM users WHERE id = :u",
    "auth_tokens": "SELECT count(*) FROM auth_tokens WHERE user_id = :u",
    "posts": "SELECT count(*) FROM posts WHERE author_id = :u",
    # (its comments on the erased account's posts went with those posts)
    "comments": "SELECT count(*) FROM comments WHERE author_id = :u AND NOT post_id = ANY(:posts)",
    "media": "SELECT count(*) FROM media WHERE owner_id = :u",
    "user_tags": "SELECT count(*) FROM user_tags WHERE owner_user_id = :u",
    "connections": "SELECT count(*) FROM connections WHERE (user_a_id = :u OR user_b_id = :u) "
    "AND :gone NOT IN (user_a_id, user_b_id)",
    "home_timelines": "SELECT count(*) FROM home_timelines WHERE user_id = :u AND author_id <> :gone",
    "reactions": "SELECT count(*) FROM reactions WHERE user_id = :u AND NOT post_id = ANY(:posts)",
    "notifications": "SELECT count(*) FROM notifications WHERE recipient_id = :u AND actor_id <> :gone",
}


def _counts(app: FastAPI, queries: dict[str, str], **params: Any) -> dict[str, int]:
    with app.state.database.engine.connect() as conn:
        return {name: int(conn.scalar(text(sql), params) or 0) for name, sql in queries.items()}


class Bucket:
    """The objects of a user in the store: the media directory, or the S3 bucket."""

    def __init__(self, app: FastAPI, s3: OwnSeaweed | None) -> None:
        self.app, self.s3 = app, s3

    def objects(self, user_id: int) -> int:
        prefixes = (f"u{user_id}/", f"incoming/u{user_id}/", f"exports/u{user_id}/")
        if self.s3 is None:
            root = Path(self.app.state.settings.media_dir)
            return sum(1 for p in root.rglob("*") if p.is_file() and str(p.relative_to(root)).startswith(prefixes))
        client = self.s3.client()
        return sum(
            client.list_objects_v2(Bucket=self.s3.bucket, Prefix=prefix).get("KeyCount", 0) for prefix in prefixes
        )


@pytest.fixture(params=["local", "s3"])
def stack(request: pytest.FixtureRequest, make_app: Any) -> Iterator[tuple[TestClient, Bucket]]:
    s3: OwnSeaweed | None = None
    overrides: dict[str, Any] = {}
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        overrides = s3.settings_overrides()
    with TestClient(make_app(**overrides)) as http:
        assert isinstance(http.app, FastAPI)
        yield http, Bucket(http.app, s3)


def _world(api: Api) -> tuple[AppUser, AppUser, AppUser, list[int], list[int]]:
    """The leaving account with a bit of everything, a friend it touched, and a bystander it never did."""
    leaving, friend, bystander, third = (api.user("erase") for _ in range(4))
    api.connect(leaving, friend)
    api.connect(friend, bystander)
    api.connect(bystander, third)
    tag = api.tag(leaving, friend, name="family")
    api.tag(friend, leaving, name="friends")
    media = [api.media(leaving), api.media(leaving), api.media(leaving, upload=False)]
    posts = [api.post(leaving, media=[media[0]]), api.post(leaving, tags=[tag], media=[media[1]])]
    friends_post = api.post(friend)
    api.comment(leaving, friends_post)
    api.comment(friend, posts[0])
    api.call("PUT", f"/posts/{friends_post}/reactions/love", leaving, 204)  # told to friend
    api.call("PUT", f"/posts/{posts[0]}/reactions/like", friend, 204)  # told to leaving
    api.call("PUT", f"/posts/{friends_post}/reactions/wow", bystander, 204)
    api.post(bystander, media=[api.media(bystander)])
    api.post(third)
    api.call("PATCH", "/users/me", leaving, 200, json={"avatar_media_id": media[0]})
    api.call("POST", "/blocks", leaving, 204, json={"user_id": third.id})
    api.call("POST", "/connections/requests", leaving, 201, json={"user_id": bystander.id})
    api.call("POST", "/users/me/exports", leaving, 202)
    api.call("POST", "/invites", leaving, 201, json={"connect": True})
    return leaving, friend, bystander, posts, media


def test_an_erased_account_leaves_nothing_in_any_table_or_bucket(stack: tuple[TestClient, Bucket]) -> None:
    http, bucket = stack
    app = http.app
    assert isinstance(app, FastAPI)
    api = Api(http)
    leaving, friend, bystander, posts, media = _world(api)
    run_jobs(app)  # the export is built, the mails sent: everything of the account exists
    params = {"u": leaving.id, "posts": posts, "media": media}
    before = _counts(app, OWN_ROWS, **params)
    objects_before = bucket.objects(leaving.id)
    others_before = {u.id: _counts(app, OTHERS_ROWS, u=u.id, gone=leaving.id, posts=posts) for u in (friend, bystander)}
    bystander_objects = bucket.objects(bystander.id)
    print("before:", before, "objects:", objects_before)
    nonzero = {"users", "auth_tokens", "one_time_tokens", "account_exports", "connection_requests", "connections",
               "blocks", "user_tags", "user_tag_members", "posts", "comments", "post_audience_tags", "post_media",
               "media", "home_timelines", "invites", "reactions", "notifications"}  # fmt: skip
    assert {name for name, n in before.items() if n > 0} >= nonzero
    assert objects_before >= 3  # two uploaded media and the export's zip

    r = http.request("DELETE", f"{API}/users/me", json={"password": leaving.password}, headers=leaving.headers)
    assert r.status_code == 202
    run_jobs(app)

    after = _counts(app, OWN_ROWS, **params)
    print("after:", after)
    assert after == dict.fromkeys(OWN_ROWS, 0)
    assert bucket.objects(leaving.id) == 0
    assert {
        u.id: _counts(app, OTHERS_ROWS, u=u.id, gone=leaving.id, posts=posts) for u in (friend, bystander)
    } == others_before
    assert bucket.objects(bystander.id) == bystander_objects
    # the comment counts it was part of went down with its comment
    friends_posts = api.call("GET", f"/users/{friend.id}/posts", friend, 200)["items"]
    assert [p["comment_count"] for p in friends_posts] == [0]
    # its reaction is no longer counted, the bystander's still is
    assert [p["reactions"] for p in friends_posts] == [{"wow": 1}]
