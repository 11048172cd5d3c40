"""Requests and connections: send, list, accept, reject, cancel; list and remove connections."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_identity import PublicUser, UserDirectory, UserNotFound
from hearth_platform.cache import Cache
from hearth_platform.events import EventPublisher
from hearth_platform.ids import valid_id
from hearth_platform.pagination import Page, PageRequest, split_page

from .. import schemas
from ..caching import GraphCache
from ..errors import AlreadyConnected, Blocked, NotConnected, RequestNotFound, RequestPending, SelfRequest
from ..events import ConnectionAccepted, ConnectionRequested
from ..models import ACCEPTED, CANCELLED, PENDING, REJECTED
from ..repository import ConstraintViolation, Repository, RequestRow
from ..tag_repository import TagRepository

PENDING_PAIR_INDEX = "uq_connection_requests_pending_pair"


class RequestsService:
    def __init__(self, session: Session, cache: Cache, users: UserDirectory, events: EventPublisher) -> None:
        self._repo = Repository(session)
        self._tags = TagRepository(session)
        self._cache = GraphCache(cache, session)
        self._users = users
        self._events = events

    # -- sending -------------------------------------------------------------------------------------

    def send_request(self, me: int, user_id: int) -> schemas.ConnectionRequest:
        if user_id == me:
            raise SelfRequest
        if user_id not in self._users.existing_ids([user_id]):
            raise UserNotFound(user_id)
        self._repo.lock_pair(me, user_id)
        state = self._repo.pair_state(me, user_id)
        if state.blocked:
            raise Blocked
        if state.connected:
            raise AlreadyConnected(user_id)
        if state.pending:
            raise RequestPending(user_id)
        try:
            row = self._repo.insert_request(me, user_id)
        except ConstraintViolation as exc:
            # The pair lock makes this unreachable in practice; the index is the guarantee regardless.
            if exc.constraint == PENDING_PAIR_INDEX:
                raise RequestPending(user_id) from exc
            raise UserNotFound(user_id) from exc  # the user went away meanwhile
        views = self._request_views([row])
        if not views:  # one of the two accounts went away meanwhile
            raise UserNotFound(user_id)
        self._events.publish(ConnectionRequested(row.id, me, user_id))
        return views[0]

    def _request_views(self, rows: list[RequestRow]) -> list[schemas.ConnectionRequest]:
        users = self._users.summaries({r.from_user_id for r in rows} | {r.to_user_id for r in rows})
        return [
            schemas.ConnectionRequest(
                id=r.id,
                from_user=users[r.from_user_id],
                to_user=users[r.to_user_id],
                status=r.status,
                created_at=r.created_at,
            )
            for r in rows
            if r.from_user_id in users and r.to_user_id in users
        ]

    # -- listing -------------------------------------------------------------------------------------

    def pending_requests(
        self, me: int, direction: schemas.Direction, page: PageRequest
    ) -> Page[schemas.ConnectionRequest]:
        kind = f"connection-requests:{direction}:{me}"
        rows, more = split_page(
            self._repo.pending_requests(me, direction, page.keyset(kind), page.limit + 1), page.limit
        )
        cursor = page.next_cursor(kind, [rows[-1].created_at, rows[-1].id] if more else None)
        return Page(items=self._request_views(rows), next_cursor=cursor)

    # -- answering -----------------------------------------------------------------------------------

    def _lock_pending(self, me: int, request_id: int, *, as_recipient: bool) -> RequestRow:
        """The pending request ``me`` may answer (recipient) or cancel (sender), locked; else 404.

        Order matters: the pair lock first (every pair change takes it first, so no deadlock), then the
        request row ``FOR UPDATE``, whose status is checked again: a second accept, or an accept after
        a cancel, finds it no longer pending and gets 404.
        """

        def mine(row: RequestRow | None) -> bool:
            if row is None or row.status != PENDING:
                return False
            return (row.to_user_id if as_recipient else row.from_user_id) == me

        if not valid_id(request_id):
            raise RequestNotFound(request_id)
        row = self._repo.get_request(request_id)
        if not mine(row):
            raise RequestNotFound(request_id)
        assert row is not None
        self._repo.lock_pair(row.from_user_id, row.to_user_id)
        row = self._repo.get_request(request_id, for_update=True)
        if not mine(row):
            raise RequestNotFound(request_id)
        assert row is not None
        return row

    def accept_request(self, me: int, request_id: int) -> schemas.Accepted:
        row = self._lock_pending(me, request_id, as_recipient=True)
        other = row.from_user_id
        self._repo.set_request_status(row.id, ACCEPTED)
        connected_at = self._repo.insert_connection(other, me)
        self._cache.forget_pair(me, other)
        profile = self._users.profiles([other]).get(other)
        if profile is None:  # the sender's account went away meanwhile
            raise RequestNotFound(request_id)
        user = PublicUser(**profile.model_dump(), connection_status="connected")
        self._events.publish(ConnectionAccepted(other, me))
        return schemas.Accepted(user=user, connected_at=connected_at)

    def reject_request(self, me: int, request_id: int) -> None:
        row = self._lock_pending(me, request_id, as_recipient=True)
        self._repo.set_request_status(row.id, REJECTED)

    def cancel_request(self, me: int, request_id: int) -> None:
        row = self._lock_pending(me, request_id, as_recipient=False)
        self._repo.set_request_status(row.id, CANCELLED)

    # -- connections ---------------------------------------------------------------------------------

    def connections(self, me: int, page: PageRequest) -> Page[schemas.Connection]:
        """The caller's connections, newest first, each with the caller's own tags on them.

        Three queries whatever the page size: the page, the tags on its users, their summaries.
        """
        kind = f"connections:{me}"
        rows, more = split_page(self._repo.connections_page(me, page.keyset(kind), page.limit + 1), page.limit)
        cursor = page.next_cursor(kind, [rows[-1][1], rows[-1][0]] if more else None)
        ids = [user_id for user_id, _ in rows]
        tags = self._tags.owner_tags_on(me, ids) if ids else {}
        users = self._users.summaries(ids)
        items = [
            schemas.Connection(user=users[uid], connected_at=at, tag_ids=tags.get(uid, []))
            for uid, at in rows
            if uid in users
        ]
        return Page(items=items, next_cursor=cursor)

    def remove_connection(self, me: int, user_id: int) -> None:
        """Disconnect, and take both sides' tag memberships of the pair with it."""
        if user_id == me or not valid_id(user_id):
            raise NotConnected(user_id)
        self._repo.lock_pair(me, user_id)
        if not self._repo.delete_connection(me, user_id):
            raise NotConnected(user_id)
        self._repo.delete_pair_memberships(me, user_id)
        self._cache.forget_pair(me, user_id)
