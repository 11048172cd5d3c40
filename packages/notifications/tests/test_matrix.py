"""The notification matrix, like posts' visibility matrix: for each type the recipient is told, and after
each change that takes away what it is about (untag, disconnect, block either way, post deletion, comment
deletion) it is gone from their list and from their unread count at once; a change that leaves them able to
see it leaves it there.

The world: ``author`` posts to a tag holding ``recipient`` and ``actor``; ``recipient`` also has a post of
their own that ``actor`` can see. Every notification is from ``actor`` to ``recipient``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import Api, AppUser


@dataclass
class World:
    api: Api
    author: AppUser
    recipient: AppUser
    actor: AppUser
    tag_id: int
    post_id: int  # the author's tags post (recipient and actor in the tag)
    own_post_id: int  # the recipient's post to all their connections (the actor is one)
    comment_id: int | None = None  # the comment the notification is about, when there is one
    subject_post: int = 0  # the post it is about, when there is one


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def _world(api: Api) -> World:
    author, recipient, actor = api.user("na"), api.user("nr"), api.user("nx")
    api.connect(author, recipient)
    api.connect(author, actor)
    api.connect(recipient, actor)
    tag_id = api.tag(author, recipient, actor)
    return World(api, author, recipient, actor, tag_id, api.post(author, [tag_id]), api.post(recipient))


# -- making each type (from the actor to the recipient) --------------------------------------------------


def _request(w: World) -> None:
    stranger = w.api.user("ns")  # a fresh actor: the recipient and the actor above are connected already
    w.actor = stranger
    w.api.call("POST", "/connections/requests", stranger, 201, json={"user_id": w.recipient.id})


def _accepted(w: World) -> None:
    acceptor = w.api.user("ny")
    w.actor = acceptor
    w.api.connect(w.recipient, acceptor)


def _comment(w: World) -> None:
    w.subject_post = w.own_post_id
    w.comment_id = w.api.comment(w.actor, w.own_post_id)


def _reply(w: World) -> None:
    w.subject_post = w.post_id
    w.api.comment(w.recipient, w.post_id, "first")
    w.comment_id = w.api.comment(w.actor, w.post_id, "second")


def _reaction(w: World) -> None:
    w.subject_post = w.own_post_id
    w.api.react(w.actor, w.own_post_id, "love")


def _mention(w: World) -> None:
    w.subject_post = w.post_id
    w.comment_id = w.api.comment(w.actor, w.post_id, f"what do you think, @{w.recipient.username}?")


MAKE: dict[str, Callable[[World], None]] = {
    "mention": _mention,
    "connection_request": _request,
    "connection_accepted": _accepted,
    "comment": _comment,
    "reply": _reply,
    "reaction": _reaction,
}

# -- the changes ----------------------------------------------------------------------------------------


def _untag(w: World) -> None:
    w.api.call("DELETE", f"/tags/{w.tag_id}/members/{w.recipient.id}", w.author, 204)


def _disconnect(w: World) -> None:
    w.api.call("DELETE", f"/connections/{w.author.id}", w.recipient, 204)


def _block_by_recipient(w: World) -> None:
    w.api.call("POST", "/blocks", w.recipient, 204, json={"user_id": w.actor.id})


def _block_by_actor(w: World) -> None:
    w.api.call("POST", "/blocks", w.actor, 204, json={"user_id": w.recipient.id})


def _delete_post(w: World) -> None:
    own = w.comment_id is None or w.subject_post == w.own_post_id
    owner = w.recipient if own else w.author
    w.api.call("DELETE", f"/posts/{w.subject_post}", owner, 204)


def _delete_comment(w: World) -> None:
    w.api.call("DELETE", f"/comments/{w.comment_id}", w.actor, 204)


CHANGE: dict[str, Callable[[World], None]] = {
    "untag": _untag,
    "disconnect": _disconnect,
    "block by recipient": _block_by_recipient,
    "block by actor": _block_by_actor,
    "post deleted": _delete_post,
    "comment deleted": _delete_comment,
}

GONE, KEPT = "gone", "kept"
# what each change does to each type; a change that does not apply to a type is not listed
EXPECT: dict[str, dict[str, str]] = {
    # connections: only blocks hide them (the contract names nothing else)
    "connection_request": {"block by recipient": GONE, "block by actor": GONE},
    "connection_accepted": {"block by recipient": GONE, "block by actor": GONE, "disconnect": KEPT},
    # about the recipient's own post: they always see it, so only blocks and deletions take it away
    "comment": {
        "untag": KEPT,
        "disconnect": KEPT,
        "block by recipient": GONE,
        "block by actor": GONE,
        "post deleted": GONE,
        "comment deleted": GONE,
    },
    "reaction": {"disconnect": KEPT, "block by recipient": GONE, "block by actor": GONE, "post deleted": GONE},
    # about the author's tags post, seen through the tag (a mention here: in the actor's comment on it)
    "mention": {
        "untag": GONE,
        "disconnect": GONE,
        "block by recipient": GONE,
        "block by actor": GONE,
        "post deleted": GONE,
        "comment deleted": GONE,
    },
    "reply": {
        "untag": GONE,
        "disconnect": GONE,
        "block by recipient": GONE,
        "block by actor": GONE,
        "post deleted": GONE,
        "comment deleted": GONE,
    },
}
CELLS = [(kind, change, result) for kind, changes in EXPECT.items() for change, result in changes.items()]


def _told(w: World, kind: str) -> list[dict[str, Any]]:
    return [n for n in w.api.notifications(w.recipient) if n["type"] == kind and n["actor"]["id"] == w.actor.id]


@pytest.mark.parametrize(("kind", "change", "result"), CELLS, ids=[f"{k}-{c}" for k, c, _ in CELLS])
def test_each_type_is_told_and_goes_with_what_it_is_about(api: Api, kind: str, change: str, result: str) -> None:
    w = _world(api)
    api.read_all(w.recipient)
    MAKE[kind](w)
    told = _told(w, kind)
    assert len(told) == 1, told
    assert told[0]["read"] is False
    assert api.unread_count(w.recipient) == 1
    assert all(n["actor"]["id"] != w.actor.id for n in api.notifications(w.actor))  # never told of one's own act

    CHANGE[change](w)
    if result == GONE:
        assert _told(w, kind) == []
        assert api.unread_count(w.recipient) == 0
        assert api.notifications(w.recipient, unread_only=True) == []
    else:
        assert len(_told(w, kind)) == 1
        assert api.unread_count(w.recipient) == 1


def test_a_reaction_taken_back_is_no_longer_told(api: Api) -> None:
    w = _world(api)
    api.react(w.actor, w.own_post_id, "like")
    api.react(w.actor, w.own_post_id, "love")
    assert len(_told(w, "reaction")) == 1  # once per reactor and post, whatever the kinds
    api.react(w.actor, w.own_post_id, "like", method="DELETE")
    assert len(_told(w, "reaction")) == 1  # one kind is left
    api.react(w.actor, w.own_post_id, "love", method="DELETE")
    assert _told(w, "reaction") == []


def test_nobody_is_told_of_their_own_act(api: Api) -> None:
    w = _world(api)
    api.comment(w.author, w.post_id, "my own")
    api.react(w.author, w.post_id)
    api.comment(w.recipient, w.post_id, "theirs")  # the author is told of this one
    api.comment(w.recipient, w.post_id, "theirs again")  # and the recipient, who commented, of nothing
    about_post = [n for n in api.notifications(w.author) if n["post_id"] == w.post_id]
    assert [(n["type"], n["actor"]["id"]) for n in about_post] == [("comment", w.recipient.id)] * 2
    assert [n for n in api.notifications(w.recipient) if n["post_id"] == w.post_id] == []


def test_a_reply_reaches_only_commenters_who_still_see_the_post(api: Api) -> None:
    w = _world(api)
    outsider = api.user("no")
    api.connect(w.author, outsider)
    conn_post = api.post(w.author)
    api.comment(outsider, conn_post, "from outside the tag")
    api.comment(w.recipient, conn_post, "from the tag")
    api.call("PATCH", f"/posts/{conn_post}", w.author, 200, json={"audience": {"type": "tags", "tag_ids": [w.tag_id]}})
    api.comment(w.actor, conn_post, "after the audience narrowed")

    def replies(user: AppUser) -> list[int]:
        return [n["actor"]["id"] for n in api.notifications(user) if n["type"] == "reply"]

    assert replies(outsider) == []  # the recipient's reply is hidden too while the outsider cannot see the post
    assert replies(w.recipient) == [w.actor.id]
    # widening the audience again shows the reply of before, never one from while they could not see it
    api.call("PATCH", f"/posts/{conn_post}", w.author, 200, json={"audience": {"type": "connections"}})
    assert replies(outsider) == [w.recipient.id]
