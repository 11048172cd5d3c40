"""All SQL of the connections package: requests, connections, blocks and the pair lock.

Tag SQL lives in :mod:`.tag_repository`. Reads are batched (``ids -> mapping``); nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, Session

from hearth_identity import ConnectionStatus
from hearth_platform.database import advisory_lock_key

from .models import (
    CANCELLED,
    CONNECTED,
    PENDING,
    REJECTED,
    Block,
    Connection,
    ConnectionRequest,
    UserTagMember,
)

IdColumn = ColumnElement[int] | QueryableAttribute[int]
"""A column (or expression) of user or tag ids, to probe per row."""

IdValue = int | ColumnElement[int]
"""An id, or a bound parameter standing for one (a statement built once and run with many ids)."""

Keyset = tuple[datetime, int]


class ConstraintViolation(Exception):
    """An insert broke a constraint; ``constraint`` is its name (``None`` when the driver did not say)."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(constraint)
        self.constraint = constraint


def constraint_name(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def pair_lock_key(a: int, b: int) -> int:
    """A stable signed 64-bit advisory-lock key for the unordered pair {a, b}."""
    lo, hi = ordered(a, b)
    return advisory_lock_key(f"hearth.connections.pair:{lo}:{hi}")


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: int
    from_user_id: int
    to_user_id: int
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PairState:
    blocked: bool
    connected: bool
    pending: bool


_REQUEST_COLUMNS = (
    ConnectionRequest.id,
    ConnectionRequest.from_user_id,
    ConnectionRequest.to_user_id,
    ConnectionRequest.status,
    ConnectionRequest.created_at,
)


def _pair_requests(a: int, b: int) -> Any:
    """The predicate "request between a and b, either direction" (matches the pending-pair index)."""
    lo, hi = ordered(a, b)
    return and_(
        func.least(ConnectionRequest.from_user_id, ConnectionRequest.to_user_id) == lo,
        func.greatest(ConnectionRequest.from_user_id, ConnectionRequest.to_user_id) == hi,
    )


def _pair_blocks(a: int, b: int) -> Any:
    return or_(
        and_(Block.blocker_id == a, Block.blocked_id == b),
        and_(Block.blocker_id == b, Block.blocked_id == a),
    )


def _pair_memberships(a: int, b: int) -> Any:
    return or_(
        and_(UserTagMember.owner_user_id == a, UserTagMember.target_user_id == b),
        and_(UserTagMember.owner_user_id == b, UserTagMember.target_user_id == a),
    )


def _the_connection(a: int, b: int) -> Any:
    lo, hi = ordered(a, b)
    return and_(Connection.user_a_id == lo, Connection.user_b_id == hi, Connection.status == CONNECTED)


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the pair lock -------------------------------------------------------------------------------

    def lock_pair(self, a: int, b: int) -> None:
        """Serialise every change of the state between ``a`` and ``b`` until this transaction ends.

        Requests, accepts, cancels, disconnects, blocks and tagging of the pair all take it first, so
        each one decides on the committed state of the other (a block can never miss a request that
        is being sent at the same moment). The constraints remain the last line of defence.
        """
        self.session.execute(select(func.pg_advisory_xact_lock(pair_lock_key(a, b))))

    def pair_state(self, a: int, b: int) -> PairState:
        row = self.session.execute(
            select(
                exists().where(_pair_blocks(a, b)),
                exists().where(_the_connection(a, b)),
                exists().where(_pair_requests(a, b), ConnectionRequest.status == PENDING),
            )
        ).one()
        return PairState(blocked=bool(row[0]), connected=bool(row[1]), pending=bool(row[2]))

    # -- requests ------------------------------------------------------------------------------------

    def insert_request(self, from_user_id: int, to_user_id: int) -> RequestRow:
        """Insert a pending request (in a savepoint); raises :class:`ConstraintViolation`."""
        stmt = (
            insert(ConnectionRequest)
            .values(from_user_id=from_user_id, to_user_id=to_user_id, status=PENDING)
            .returning(*_REQUEST_COLUMNS)
        )
        try:
            with self.session.begin_nested():
                row = self.session.execute(stmt).one()
        except IntegrityError as exc:
            raise ConstraintViolation(constraint_name(exc)) from exc
        return RequestRow(*row)

    def get_request(self, request_id: int, *, for_update: bool = False) -> RequestRow | None:
        stmt = select(*_REQUEST_COLUMNS).where(ConnectionRequest.id == request_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).one_or_none()
        return None if row is None else RequestRow(*row)

    def set_request_status(self, request_id: int, status: str) -> None:
        self.session.execute(
            update(ConnectionRequest)
            .where(ConnectionRequest.id == request_id)
            .values(status=status, responded_at=func.now())
        )

    def close_pending_between(self, actor_id: int, other_id: int) -> None:
        """End every pending request of the pair: the actor's own are cancelled, the other's rejected."""
        self.session.execute(
            update(ConnectionRequest)
            .where(_pair_requests(actor_id, other_id), ConnectionRequest.status == PENDING)
            .values(
                status=case((ConnectionRequest.from_user_id == actor_id, CANCELLED), else_=REJECTED),
                responded_at=func.now(),
            )
        )

    def pending_requests(self, user_id: int, direction: str, after: Keyset | None, limit: int) -> list[RequestRow]:
        """Pending requests to (``incoming``) or from (``outgoing``) ``user_id``, newest first."""
        column = ConnectionRequest.to_user_id if direction == "incoming" else ConnectionRequest.from_user_id
        stmt = select(*_REQUEST_COLUMNS).where(column == user_id, ConnectionRequest.status == PENDING)
        if after is not None:
            stmt = stmt.where(tuple_(ConnectionRequest.created_at, ConnectionRequest.id) < tuple_(*after))
        stmt = stmt.order_by(ConnectionRequest.created_at.desc(), ConnectionRequest.id.desc()).limit(limit)
        return [RequestRow(*r) for r in self.session.execute(stmt)]

    # -- connections ---------------------------------------------------------------------------------

    def insert_connection(self, a: int, b: int) -> datetime:
        """Connect the pair (a no-op if already connected); returns when they connected."""
        lo, hi = ordered(a, b)
        created = self.session.execute(
            insert(Connection)
            .values(user_a_id=lo, user_b_id=hi, status=CONNECTED)
            .on_conflict_do_nothing(index_elements=[Connection.user_a_id, Connection.user_b_id])
            .returning(Connection.created_at)
        ).scalar_one_or_none()
        if created is None:
            created = self.session.execute(select(Connection.created_at).where(_the_connection(lo, hi))).scalar_one()
        return created

    def delete_connection(self, a: int, b: int) -> bool:
        lo, hi = ordered(a, b)
        deleted = self.session.execute(
            delete(Connection).where(Connection.user_a_id == lo, Connection.user_b_id == hi).returning(Connection.id)
        ).first()
        return deleted is not None

    def delete_pair_memberships(self, a: int, b: int) -> None:
        """Both sides' tag memberships of the pair (a in b's tags, b in a's tags)."""
        self.session.execute(delete(UserTagMember).where(_pair_memberships(a, b)))

    @staticmethod
    def connected_ids_select(user_id: IdValue) -> Select[Any]:
        """``SELECT user_id`` of everyone connected to ``user_id`` (both directions of the pair index)."""
        return (
            union_all(
                select(Connection.user_b_id.label("user_id")).where(
                    Connection.user_a_id == user_id, Connection.status == CONNECTED
                ),
                select(Connection.user_a_id.label("user_id")).where(
                    Connection.user_b_id == user_id, Connection.status == CONNECTED
                ),
            )
            .subquery("connected")
            .select()
        )

    @staticmethod
    def connected_clause(user_id: IdValue, other: IdColumn) -> ColumnElement[bool]:
        """``user_id`` and ``other`` are connected: one probe of the pair's unique index per row."""
        return (
            select(literal(1))
            .where(
                Connection.user_a_id == func.least(user_id, other),
                Connection.user_b_id == func.greatest(user_id, other),
                Connection.status == CONNECTED,
            )
            .offset(0)  # a fence: a probe per row, never a hash of every connection of the table
            .exists()
        )

    @staticmethod
    def blocked_clause(user_id: IdValue, other: IdColumn) -> ColumnElement[bool]:
        """``user_id`` blocked ``other`` or ``other`` blocked ``user_id``: two probes of the primary key."""
        return (
            select(literal(1))
            .where(
                or_(
                    and_(Block.blocker_id == user_id, Block.blocked_id == other),
                    and_(Block.blocker_id == other, Block.blocked_id == user_id),
                )
            )
            .offset(0)  # a fence, as above
            .exists()
        )

    def connected_ids(self, user_id: int) -> set[int]:
        return set(self.session.execute(self.connected_ids_select(user_id)).scalars())

    def are_connected(self, a: int, b: int, *, lock: bool = False) -> bool:
        stmt = select(Connection.id).where(_the_connection(a, b))
        if lock:
            stmt = stmt.with_for_update(read=True)
        return self.session.execute(stmt).first() is not None

    def connections_page(self, user_id: int, after: Keyset | None, limit: int) -> list[tuple[int, datetime]]:
        """``(other user id, connected_at)`` of ``user_id``'s connections, newest first."""
        pairs = union_all(
            select(Connection.user_b_id.label("user_id"), Connection.created_at.label("created_at")).where(
                Connection.user_a_id == user_id, Connection.status == CONNECTED
            ),
            select(Connection.user_a_id.label("user_id"), Connection.created_at.label("created_at")).where(
                Connection.user_b_id == user_id, Connection.status == CONNECTED
            ),
        ).subquery("pairs")
        stmt = select(pairs.c.user_id, pairs.c.created_at)
        if after is not None:
            stmt = stmt.where(tuple_(pairs.c.created_at, pairs.c.user_id) < tuple_(*after))
        stmt = stmt.order_by(pairs.c.created_at.desc(), pairs.c.user_id.desc()).limit(limit)
        return [(int(r.user_id), r.created_at) for r in self.session.execute(stmt)]

    def relationships(self, viewer_id: int, user_ids: list[int]) -> dict[int, ConnectionStatus]:
        """``other id -> connected | pending_outgoing | pending_incoming`` for the ones that have one."""
        connected_a = select(Connection.user_b_id.label("other"), literal("connected").label("kind")).where(
            Connection.user_a_id == viewer_id, Connection.user_b_id.in_(user_ids), Connection.status == CONNECTED
        )
        connected_b = select(Connection.user_a_id.label("other"), literal("connected").label("kind")).where(
            Connection.user_b_id == viewer_id, Connection.user_a_id.in_(user_ids), Connection.status == CONNECTED
        )
        outgoing = select(ConnectionRequest.to_user_id, literal("pending_outgoing")).where(
            ConnectionRequest.from_user_id == viewer_id,
            ConnectionRequest.to_user_id.in_(user_ids),
            ConnectionRequest.status == PENDING,
        )
        incoming = select(ConnectionRequest.from_user_id, literal("pending_incoming")).where(
            ConnectionRequest.to_user_id == viewer_id,
            ConnectionRequest.from_user_id.in_(user_ids),
            ConnectionRequest.status == PENDING,
        )
        out: dict[int, ConnectionStatus] = {}
        for other, kind in self.session.execute(union_all(connected_a, connected_b, outgoing, incoming)):
            if out.get(other) != "connected":  # a connection outranks a stale pending row
                out[int(other)] = cast(ConnectionStatus, kind)
        return out

    # -- blocks --------------------------------------------------------------------------------------

    def insert_block(self, blocker_id: int, blocked_id: int) -> None:
        """Block (a no-op when already blocked); raises :class:`ConstraintViolation` for an unknown user."""
        stmt = (
            insert(Block)
            .values(blocker_id=blocker_id, blocked_id=blocked_id)
            .on_conflict_do_nothing(index_elements=[Block.blocker_id, Block.blocked_id])
        )
        try:
            with self.session.begin_nested():
                self.session.execute(stmt)
        except IntegrityError as exc:
            raise ConstraintViolation(constraint_name(exc)) from exc

    def delete_block(self, blocker_id: int, blocked_id: int) -> bool:
        deleted = self.session.execute(
            delete(Block)
            .where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
            .returning(Block.blocked_id)
        ).first()
        return deleted is not None

    def blocks_page(self, blocker_id: int, after: Keyset | None, limit: int) -> list[tuple[int, datetime]]:
        """``(blocked id, created_at)`` of the users ``blocker_id`` blocked, newest first."""
        stmt = select(Block.blocked_id, Block.created_at).where(Block.blocker_id == blocker_id)
        if after is not None:
            stmt = stmt.where(tuple_(Block.created_at, Block.blocked_id) < tuple_(*after))
        stmt = stmt.order_by(Block.created_at.desc(), Block.blocked_id.desc()).limit(limit)
        return [(int(r.blocked_id), r.created_at) for r in self.session.execute(stmt)]

    def blocker_ids(self, user_id: int) -> set[int]:
        return set(self.session.execute(select(Block.blocker_id).where(Block.blocked_id == user_id)).scalars())
