"""Which notifier serves which channel: the four built-ins, plus whatever packages declare in
the entry-point group ``ownit.notifiers`` (``name = "module:factory"``, the factory taking a
:class:`NotifierContext` and returning a :class:`~ownit.app.notify.Notifier`).

An entry point with a built-in's name replaces the built-in. A plugin that fails to load is
reported in :attr:`NotifierRegistry.problems` and skipped: one broken plugin must not stop
the other channels from paging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from ownit.adapters.notifiers import NotConfigured, NotifierContext, email, push, slack, webhook
from ownit.app.notify import Notifier

GROUP = "ownit.notifiers"
NotifierFactory = Callable[[NotifierContext], Notifier]

BUILTINS: Mapping[str, NotifierFactory] = {
    "email": email.create,
    "slack": slack.create,
    "webhook": webhook.create,
    "push": push.create,
}


class UnknownChannel(LookupError):
    """No notifier is registered for a contact's type."""

    def __init__(self, channel: str, known: Iterable[str]) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(f"no notifier for channel {channel!r} (known: {names})")
        self.channel = channel


@dataclass(frozen=True, slots=True)
class Notifiers:
    """The notifiers built for one context, and the channels that could not be built."""

    by_channel: dict[str, Notifier]
    unavailable: dict[str, str] = field(default_factory=dict)


class NotifierRegistry:
    """Channel name → factory."""

    def __init__(self, factories: Mapping[str, NotifierFactory] | None = None) -> None:
        self._factories: dict[str, NotifierFactory] = dict(BUILTINS if factories is None else {})
        if factories is not None:
            self._factories.update(factories)
        self.problems: list[str] = []

    @classmethod
    def load(
        cls, *, group: str = GROUP, found: Iterable[EntryPoint] | None = None
    ) -> NotifierRegistry:
        """The built-ins plus the entry points of ``group`` (or the ``found`` ones, for tests)."""
        registry = cls()
        for ep in entry_points(group=group) if found is None else found:
            try:
                factory = ep.load()
            except Exception as exc:  # any import-time failure of a plugin, reported below
                registry.problems.append(f"notifier {ep.name!r} ({ep.value}) failed: {exc!r}")
                continue
            if not callable(factory):
                registry.problems.append(f"notifier {ep.name!r} ({ep.value}) is not callable")
                continue
            registry.register(ep.name, factory)
        return registry

    def register(self, channel: str, factory: NotifierFactory) -> None:
        self._factories[channel] = factory

    @property
    def channels(self) -> list[str]:
        return sorted(self._factories)

    def factory(self, channel: str) -> NotifierFactory:
        try:
            return self._factories[channel]
        except KeyError:
            raise UnknownChannel(channel, self._factories) from None

    def create(self, channel: str, context: NotifierContext) -> Notifier:
        """One channel's notifier; raises :class:`UnknownChannel` or :class:`NotConfigured`."""
        return self.factory(channel)(context)

    def create_all(self, context: NotifierContext) -> Notifiers:
        """Every channel that can be built from ``context``; the others say why not."""
        built: dict[str, Notifier] = {}
        unavailable: dict[str, str] = {}
        for channel in self.channels:
            try:
                built[channel] = self.create(channel, context)
            except NotConfigured as exc:
                unavailable[channel] = str(exc)
        return Notifiers(built, unavailable)
