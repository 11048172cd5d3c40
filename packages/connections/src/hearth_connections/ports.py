"""What connections needs from its neighbours. The app satisfies each port with a neighbour's service."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol


class UserSummaryLike(Protocol):
    """The public face of a user, as lists show it."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def avatar_url(self) -> str | None: ...


class UserProfileLike(UserSummaryLike, Protocol):
    """A user's summary plus their bio (``PublicUser`` adds the caller's relationship to it)."""

    @property
    def bio(self) -> str | None: ...


class UserDirectory(Protocol):
    """Batched reads of users (identity provides it). Unknown ids are simply absent from the answers."""

    def summaries(self, user_ids: Collection[int]) -> Mapping[int, UserSummaryLike]: ...

    def profiles(self, user_ids: Collection[int]) -> Mapping[int, UserProfileLike]: ...

    def existing_ids(self, user_ids: Collection[int]) -> set[int]: ...
