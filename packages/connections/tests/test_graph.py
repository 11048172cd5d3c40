"""The face neighbours use (through their ports), and its cache: every change is seen at once."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select

from hearth_connections import TagNotFound
from hearth_platform.database import count_statements

API = "/api/v1"


def test_connected_ids_are_cached_and_change_at_once_on_accept_remove_and_block(client, make_user, send_request, graph):
    a, b, c = make_user(), make_user(), make_user()
    with graph() as g:
        assert g.get_connected_user_ids(a.id) == set()
        assert g.get_connected_user_ids(b.id) == set()
    with graph() as g, count_statements() as counted:
        assert g.get_connected_user_ids(a.id) == set()
    assert counted.count == 0  # served from the cache

    request_id = send_request(a, b).json()["id"]
    assert client.post(f"{API}/connections/requests/{request_id}/accept", headers=b.headers).status_code == 200
    with graph() as g:
        assert g.get_connected_user_ids(a.id) == {b.id}
        assert g.get_connected_user_ids(b.id) == {a.id}
        assert g.are_connected(a.id, b.id) and g.are_connected(b.id, a.id)

    assert client.delete(f"{API}/connections/{a.id}", headers=b.headers).status_code == 204
    with graph() as g:
        assert g.get_connected_user_ids(a.id) == set()
        assert g.get_connected_user_ids(b.id) == set()
        assert not g.are_connected(a.id, b.id)

    request_id = send_request(c, a).json()["id"]
    client.post(f"{API}/connections/requests/{request_id}/accept", headers=a.headers)
    with graph() as g:
        assert g.get_connected_user_ids(a.id) == {c.id}
        assert g.get_connected_user_ids(c.id) == {a.id}
    assert client.post(f"{API}/blocks", json={"user_id": a.id}, headers=c.headers).status_code == 204
    with graph() as g:
        assert g.get_connected_user_ids(a.id) == set()
        assert g.get_connected_user_ids(c.id) == set()


def test_viewer_tag_ids_are_cached_and_change_at_once(client, make_user, connect, make_tag, graph):
    owner, viewer, other_owner = make_user(), make_user(), make_user()
    connect(owner, viewer)
    connect(other_owner, viewer)
    family = make_tag(owner, viewer)
    club = make_tag(owner)
    theirs = make_tag(other_owner, viewer)
    with graph() as g:
        assert g.viewer_tag_ids(viewer.id, [owner.id, other_owner.id]) == {owner.id: {family}, other_owner.id: {theirs}}
    with graph() as g, count_statements() as counted:
        assert g.viewer_tag_ids(viewer.id, [owner.id]) == {owner.id: {family}}
    assert counted.count == 0  # served from the cache

    # tag
    assert client.put(f"{API}/tags/{club}/members/{viewer.id}", headers=owner.headers).status_code == 204
    with graph() as g:
        assert g.viewer_tag_ids(viewer.id, [owner.id]) == {owner.id: {family, club}}
    # untag
    assert client.delete(f"{API}/tags/{family}/members/{viewer.id}", headers=owner.headers).status_code == 204
    with graph() as g:
        assert g.viewer_tag_ids(viewer.id, [owner.id]) == {owner.id: {club}}
    # delete the tag
    assert client.delete(f"{API}/tags/{club}", headers=owner.headers).status_code == 204
    with graph() as g:
        assert g.viewer_tag_ids(viewer.id, [owner.id]) == {owner.id: set()}
    # disconnect
    tag = make_tag(owner, viewer)
    with graph() as g:
        assert g.viewer_tag_ids(viewer.id, [owner.id, other_owner.id]) == {owner.id: {tag}, other_owner.id: {theirs}}
    assert client.delete(f"{API}/connections/{owner.id}", headers=viewer.headers).status_code == 204
    with graph() as g:
        assert g.viewer_tag_ids(viewer.id, [owner.id, other_owner.id]) == {owner.id: set(), other_owner.id: {theirs}}
    # block (by the tagged one, against the owner)
    with graph() as g:
        g.viewer_tag_ids(viewer.id, [other_owner.id])
    assert client.post(f"{API}/blocks", json={"user_id": other_owner.id}, headers=viewer.headers).status_code == 204
    with graph() as g:
        assert g.viewer_tag_ids(viewer.id, [other_owner.id]) == {other_owner.id: set()}


def test_a_rolled_back_change_leaves_nothing_in_the_cache(make_user, send_request, graph):
    a, b = make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    with graph() as g:
        assert g.get_connected_user_ids(b.id) == set()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), graph() as g:
        g.accept_request(b.id, request_id)
        assert g.get_connected_user_ids(b.id) == {a.id}  # this transaction sees its own change...
        raise Boom
    with graph() as g:
        assert g.get_connected_user_ids(b.id) == set()  # ...which never reached the cache
        assert g.get_connected_user_ids(a.id) == set()


def test_viewer_tag_ids_batch_many_owners_in_one_query(make_user, connect, make_tag, graph):
    viewer = make_user()
    owners = [make_user() for _ in range(4)]
    expected = {}
    for o in owners:
        connect(o, viewer)
        expected[o.id] = {make_tag(o, viewer), make_tag(o, viewer)}
        make_tag(o)  # a tag the viewer is not in
    with graph() as g, count_statements() as counted:
        assert g.viewer_tag_ids(viewer.id, [o.id for o in owners] + [viewer.id]) == expected | {viewer.id: set()}
    assert counted.count == 1


def test_owned_tag_ids_and_tag_member_ids(make_user, connect, make_tag, graph):
    owner, other, x, y = make_user(), make_user(), make_user(), make_user()
    connect(owner, x)
    connect(owner, y)
    connect(other, x)
    mine = make_tag(owner, x, y)
    empty = make_tag(owner)
    theirs = make_tag(other, x)
    with graph() as g:
        assert g.owned_tag_ids(owner.id, [mine, empty, theirs, 987654321, -1]) == {mine, empty}
        assert g.owned_tag_ids(owner.id, []) == set()
        assert g.tag_member_ids(owner.id, mine) == {x.id, y.id}
        assert g.tag_member_ids(owner.id, empty) == set()
        with pytest.raises(TagNotFound):
            g.tag_member_ids(owner.id, theirs)
        with pytest.raises(TagNotFound):
            g.tag_member_ids(owner.id, 987654321)


def test_relationships_in_one_query(client, make_user, connect, send_request, graph):
    me, friend, asked, asker, stranger, blocker = (make_user() for _ in range(6))
    connect(me, friend)
    send_request(me, asked)
    send_request(asker, me)
    client.post(f"{API}/blocks", json={"user_id": me.id}, headers=blocker.headers)
    ids = [me.id, friend.id, asked.id, asker.id, stranger.id, blocker.id, 987654321]
    with graph() as g, count_statements() as counted:
        assert g.relationships(me.id, ids) == {
            me.id: "self",
            friend.id: "connected",
            asked.id: "pending_outgoing",
            asker.id: "pending_incoming",
            stranger.id: "none",
            blocker.id: "none",
            987654321: "none",
        }
    assert counted.count == 1
    with graph() as g:
        assert g.relationships(asked.id, [me.id]) == {me.id: "pending_incoming"}
        assert g.relationships(me.id, []) == {}


def test_blocker_ids(client, make_user, graph):
    me, b1, b2, mine = make_user(), make_user(), make_user(), make_user()
    client.post(f"{API}/blocks", json={"user_id": me.id}, headers=b1.headers)
    client.post(f"{API}/blocks", json={"user_id": me.id}, headers=b2.headers)
    client.post(f"{API}/blocks", json={"user_id": mine.id}, headers=me.headers)
    with graph() as g:
        assert g.blocker_ids(me.id) == {b1.id, b2.id}
        assert g.blocker_ids(mine.id) == {me.id}
        assert g.blocker_ids(b1.id) == set()


def test_selectables_for_neighbours_queries(make_user, connect, make_tag, graph):
    me, x, y, other = make_user(), make_user(), make_user(), make_user()
    connect(me, x)
    connect(y, me)
    connect(other, me)
    tag = make_tag(me, x)
    theirs = make_tag(other, me)
    with graph() as g:
        session = g._session
        assert set(session.execute(g.connected_ids_select(me.id)).scalars()) == {x.id, y.id, other.id}
        assert set(session.execute(g.viewer_tag_ids_select(me.id)).scalars()) == {theirs}
        assert set(session.execute(g.tag_member_ids_select(me.id, tag)).scalars()) == {x.id}
        assert set(session.execute(g.tag_member_ids_select(x.id, tag)).scalars()) == set()
        # usable inside a neighbour's own statement
        inside = select(literal(True)).where(literal(y.id).in_(g.connected_ids_select(me.id)))
        assert session.execute(inside).scalar() is True


@pytest.mark.redis
def test_invalidation_through_a_shared_redis_cache(make_app, make_user, redis_url):
    """The same guarantees with Redis (what several workers share): values round-trip, changes are seen."""
    from fastapi.testclient import TestClient

    from hearth_connections import ConnectionGraph
    from hearth_platform.cache import RedisCache
    from hearth_testing import resolved

    a, b = make_user(), make_user()
    shared = make_app(redis_url=redis_url)
    with TestClient(shared) as http:
        cache = shared.state.cache
        assert isinstance(cache, RedisCache)
        keys = {"connections.ids": [str(a.id), str(b.id)], "connections.viewer_tags": [f"{b.id}:{a.id}"]}

        def forget_all() -> None:  # other runs on this Redis may have used the same ids
            for name, ks in keys.items():
                cache.delete(name, *ks)

        def read() -> tuple[set[int], dict[int, set[int]]]:
            with resolved(shared, ConnectionGraph) as g:
                return g.get_connected_user_ids(a.id), g.viewer_tag_ids(b.id, [a.id])

        forget_all()
        try:
            assert read() == (set(), {a.id: set()})
            assert cache.get("connections.ids", str(a.id)) == []
            request_id = http.post(f"{API}/connections/requests", json={"user_id": b.id}, headers=a.headers).json()[
                "id"
            ]
            assert http.post(f"{API}/connections/requests/{request_id}/accept", headers=b.headers).status_code == 200
            tag = http.post(f"{API}/tags", json={"name": "redis"}, headers=a.headers).json()["id"]
            assert http.put(f"{API}/tags/{tag}/members/{b.id}", headers=a.headers).status_code == 204
            assert read() == ({b.id}, {a.id: {tag}})
            assert cache.get("connections.viewer_tags", f"{b.id}:{a.id}") == [tag]
            assert http.post(f"{API}/blocks", json={"user_id": a.id}, headers=b.headers).status_code == 204
            assert read() == (set(), {a.id: set()})
        finally:
            forget_all()
