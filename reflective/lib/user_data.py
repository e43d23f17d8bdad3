"""Where each app plugs its per-user data into the cross-app operations.

The operations that span every app (tier purge, account export, stats) must not know
each app's tables. Each app registers its functions in ``AppConfig.ready``;
the operations call every registered function inside one transaction.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

# A purger deletes what ``tier`` no longer allows and returns counts named ``deleted_<kind>``.
Purger = Callable[[AbstractBaseUser, str], dict[str, int]]
# An exporter yields the user's rows of one kind as JSON-ready dicts.
Exporter = Callable[[AbstractBaseUser], Iterable[dict[str, Any]]]
# A stats provider returns what the server honestly knows (counts, sizes, times).
StatsProvider = Callable[[AbstractBaseUser], dict[str, Any]]
# A usage provider returns what the user uses of each quota it owns (``reflective.lib.quotas``).
UsageProvider = Callable[[AbstractBaseUser], dict[str, int]]
# A storage counter returns the ciphertext bytes one app holds for the user.
StorageCounter = Callable[[AbstractBaseUser], int]
# A profile provider adds such facts to the user object itself (fields older clients read).
ProfileProvider = Callable[[AbstractBaseUser], dict[str, Any]]


@dataclass
class UserDataRegistry:
    purgers: list[Purger] = field(default_factory=list)
    exporters: dict[str, Exporter] = field(default_factory=dict)
    stats_providers: list[StatsProvider] = field(default_factory=list)
    profile_providers: list[ProfileProvider] = field(default_factory=list)
    purge_kinds: list[str] = field(default_factory=list)
    usage_providers: list[UsageProvider] = field(default_factory=list)
    storage_counters: list[StorageCounter] = field(default_factory=list)

    def register_purger(self, purger: Purger, *, kinds: Iterable[str]) -> None:
        if purger not in self.purgers:
            self.purgers.append(purger)
            self.purge_kinds.extend(k for k in kinds if k not in self.purge_kinds)

    def register_exporter(self, name: str, exporter: Exporter) -> None:
        self.exporters[name] = exporter

    def register_stats(self, provider: StatsProvider) -> None:
        if provider not in self.stats_providers:
            self.stats_providers.append(provider)

    def register_usage(self, provider: UsageProvider) -> None:
        if provider not in self.usage_providers:
            self.usage_providers.append(provider)

    def register_storage(self, counter: StorageCounter) -> None:
        if counter not in self.storage_counters:
            self.storage_counters.append(counter)

    def register_profile(self, provider: ProfileProvider) -> None:
        if provider not in self.profile_providers:
            self.profile_providers.append(provider)

    def purge(self, user: AbstractBaseUser, tier: str) -> dict[str, int]:
        """Run every purger for ``tier``; the caller holds the transaction."""
        counts = {f"deleted_{kind}": 0 for kind in self.purge_kinds}
        for purger in self.purgers:
            for name, count in purger(user, tier).items():
                counts[name] = counts.get(name, 0) + count
        return counts

    def export_sections(self, user: AbstractBaseUser) -> Iterator[tuple[str, Iterable[Any]]]:
        for name, exporter in self.exporters.items():
            yield name, exporter(user)

    def stats(self, user: AbstractBaseUser) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for provider in self.stats_providers:
            merged.update(provider(user))
        return merged

    def storage_bytes(self, user: AbstractBaseUser) -> int:
        """Every ciphertext byte the server holds for the user, over all apps."""
        return sum(counter(user) for counter in self.storage_counters)

    def usage(self, user: AbstractBaseUser) -> dict[str, int]:
        merged = {"storage_bytes": self.storage_bytes(user)}
        for provider in self.usage_providers:
            merged.update(provider(user))
        return merged

    def profile(self, user: AbstractBaseUser) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for provider in self.profile_providers:
            merged.update(provider(user))
        return merged


user_data = UserDataRegistry()
