"""The pytest plugin: pytest-recording's surface over ``use_cassette``.

Installed with the package (the ``pytest11`` entry point ``interposition``).
``@pytest.mark.vcr`` (bare, with extra cassette paths, with cassette options;
on functions, classes and modules), the fixtures ``vcr_config``,
``vcr_cassette_dir``, ``default_cassette_name``, ``record_mode`` and ``vcr``,
the marker ``default_cassette``, the options ``--record-mode``,
``--disable-recording``, ``--block-network`` and ``--allowed-hosts``, the
markers ``block_network`` and ``allowed_hosts``, and the hook
``pytest_recording_configure(config, vcr)``, with pytest-recording's names,
defaults and precedence. New cassettes are written in vcrpy's format at
``<vcr_cassette_dir>/<name>.yaml``. ``--fail-on-unplayed`` fails the session
when a cassette has interactions no test played.

The plugin is a face: it translates its options into
``interposition.http.CassetteOptions`` and opens ``use_cassette``. See
``docs/pytest-plugin.md`` and ``docs/migrating-from-vcrpy.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from interposition.pytest_plugin._plugin import (
    allowed_hosts,
    default_cassette_name,
    disable_recording,
    pytest_addhooks,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
    pytest_unconfigure,
    record_mode,
    vcr,
    vcr_cassette_dir,
    vcr_config,
    vcr_markers,
)

if TYPE_CHECKING:
    from interposition.pytest_plugin._config import VcrConfigWarning, VcrStandIn

__all__ = [
    "VcrConfigWarning",
    "VcrStandIn",
    "allowed_hosts",
    "blocking_context",
    "default_cassette_name",
    "disable_recording",
    "pytest_addhooks",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "pytest_unconfigure",
    "record_mode",
    "vcr",
    "vcr_cassette_dir",
    "vcr_config",
    "vcr_markers",
]


def blocking_context(
    allowed_hosts: Iterable[str] | str | None = None,
) -> AbstractContextManager[None]:
    """Block every socket connection to hosts not in ``allowed_hosts``.

    Connecting to any other host (TCP, UDP, Unix sockets) raises
    ``RuntimeError("Network is disabled for host '<host>'")``.

    Args:
        allowed_hosts: Host names, IP addresses or regular expressions (a
            list, or a comma-separated string).

    Returns:
        A context manager.
    """
    from interposition.pytest_plugin._network import blocking_context as block

    return block(allowed_hosts)


def __getattr__(name: str) -> object:
    if name in ("VcrConfigWarning", "VcrStandIn"):
        from interposition.pytest_plugin import _config

        return getattr(_config, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
