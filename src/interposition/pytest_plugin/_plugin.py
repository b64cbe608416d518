"""The hooks and fixtures of the pytest plugin (see the package docstring).

Tests without ``@pytest.mark.vcr`` or a network block pay nothing per test:
at collection, the ``vcr`` fixture is added only to the tests that need it
(marked, or blocked by ``--block-network`` / ``@pytest.mark.block_network``)
instead of being autouse. The HTTP layer is imported by the first test that
opens a cassette.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:
    from interposition.http import CassetteSession
    from interposition.pytest_plugin._summary import Summary

__all__ = [
    "allowed_hosts",
    "default_cassette_name",
    "disable_recording",
    "pytest_addhooks",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "record_mode",
    "vcr",
    "vcr_cassette_dir",
    "vcr_config",
    "vcr_markers",
]

_RECORD_MODES: Final = ("none", "once", "new_episodes", "all", "rewrite")
_CONFLICTS: set[int] = set()
_MARKERS: Final = (
    "vcr: record and replay the test's HTTP traffic in a cassette (interposition).",
    "block_network(allowed_hosts=None): block network access except while recording.",
    "default_cassette(name): the test's cassette name.",
    "allowed_hosts(*hosts): hosts (names, IPs, regexes) a blocked test may reach.",
)


def _summary(config: pytest.Config) -> Summary:
    from interposition.pytest_plugin._summary import Summary

    summary = getattr(config, "_interposition_summary", None)
    if summary is None:
        summary = Summary()
        config._interposition_summary = summary  # type: ignore[attr-defined]
    return summary


# -- hooks ----------------------------------------------------------------------


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Declare ``pytest_recording_configure`` (unless pytest-recording does)."""
    if pluginmanager.has_plugin("recording"):
        return
    from interposition.pytest_plugin import _hooks

    pluginmanager.add_hookspecs(_hooks)


def _recording_present(pluginmanager: pytest.PytestPluginManager) -> bool:
    if pluginmanager.has_plugin("recording"):
        return True
    if pluginmanager.is_blocked("recording"):
        return False
    return importlib.util.find_spec("pytest_recording") is not None


def pytest_addoption(
    parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager
) -> None:
    """The options pytest-recording users know, and the unplayed check."""
    group = parser.getgroup("interposition", "record and replay HTTP (interposition)")
    group.addoption(
        "--fail-on-unplayed",
        action="store_true",
        default=False,
        help="Fail the session when a cassette has interactions no test played.",
    )
    if _recording_present(pluginmanager):
        # pytest-recording declares the same options: leave them to it and
        # say what to do in pytest_configure.
        _CONFLICTS.add(id(pluginmanager))
        return
    group.addoption(
        "--record-mode",
        action="store",
        default=None,
        choices=_RECORD_MODES,
        help='Record mode of @pytest.mark.vcr cassettes (default: "none").',
    )
    group.addoption(
        "--block-network",
        action="store_true",
        default=False,
        help="Block network access except while a cassette records.",
    )
    group.addoption(
        "--allowed-hosts",
        action="store",
        default=None,
        help="Comma-separated hosts (names, IPs or regexes) a blocked test may reach.",
    )
    group.addoption(
        "--disable-recording",
        action="store_true",
        default=False,
        help="Ignore @pytest.mark.vcr: no cassette is used.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers; refuse to run beside pytest-vcr or pytest-recording.

    Raises:
        pytest.UsageError: When pytest-vcr or pytest-recording is active too
            (pytest prints the message as a usage error, without a traceback).
    """
    if config.pluginmanager.has_plugin("vcr"):
        msg = (
            "interposition's pytest plugin is incompatible with pytest-vcr: both "
            "define the vcr marker and fixtures. Uninstall pytest-vcr "
            "(interposition replaces it), or run with -p no:interposition."
        )
        raise pytest.UsageError(msg)
    if id(config.pluginmanager) in _CONFLICTS:
        msg = (
            "pytest-recording is installed beside interposition: both define "
            "--record-mode, --block-network, the vcr marker and the vcr "
            "fixtures. Uninstall pytest-recording (interposition replaces it), "
            "or run with -p no:recording (to use interposition) or "
            "-p no:interposition (to use pytest-recording), for example in "
            "addopts."
        )
        raise pytest.UsageError(msg)
    for line in _MARKERS:
        config.addinivalue_line("markers", line)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Forget this run's conflict flag (pytester runs many in one process)."""
    _CONFLICTS.discard(id(config.pluginmanager))


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the ``vcr`` fixture to the tests that need it, first."""
    block_all = bool(config.getoption("--block-network", False))
    for item in items:
        names = getattr(item, "fixturenames", None)
        if not isinstance(names, list) or "vcr" in names:
            continue
        if (
            block_all
            or item.get_closest_marker("vcr") is not None
            or item.get_closest_marker("block_network") is not None
        ):
            names.insert(0, "vcr")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Gather a pytest-xdist worker's cassette counts (without xdist: unused)."""
    data = getattr(node, "workeroutput", {}).get("interposition")
    if data:
        _summary(node.config).merge_data(data)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Send the counts to the controller; fail on unplayed interactions if asked."""
    config = session.config
    summary = getattr(config, "_interposition_summary", None)
    if summary is None:
        return
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["interposition"] = summary.to_data()
        return
    if (
        config.getoption("--fail-on-unplayed")
        and summary.unplayed
        and session.exitstatus == pytest.ExitCode.OK
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: pytest.Config
) -> None:
    """One line: cassettes used, recorded, interactions not played."""
    summary = getattr(config, "_interposition_summary", None)
    if summary is None or not summary.cassettes:
        return
    terminalreporter.write_line(summary.line())
    if config.getoption("--fail-on-unplayed"):
        for path, count in summary.unplayed.items():
            terminalreporter.write_line(
                f"  {path}: {count} interaction{'s' if count != 1 else ''} "
                "not played (--fail-on-unplayed)"
            )


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def record_mode(request: pytest.FixtureRequest) -> str:
    """``--record-mode``, or ``"none"``: CI never records by accident."""
    return str(request.config.getoption("--record-mode") or "none")


@pytest.fixture(scope="session")
def disable_recording(request: pytest.FixtureRequest) -> bool:
    """``--disable-recording``: ignore ``@pytest.mark.vcr``."""
    return bool(request.config.getoption("--disable-recording"))


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """Options for every cassette (override it, at any scope)."""
    return {}


@pytest.fixture
def vcr_markers(request: pytest.FixtureRequest) -> list[pytest.Mark]:
    """The test's ``vcr`` markers, closest first."""
    return list(request.node.iter_markers(name="vcr"))


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``cassettes/<module name>`` beside the test module."""
    module = Path(request.node.path)
    return os.path.join(module.parent, "cassettes", module.stem)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """From ``@pytest.mark.default_cassette(name)``, or the test's name.

    ``test_name`` or ``Class.test_name`` (parametrize ids included), with the
    characters file names cannot hold replaced by ``-``.
    """
    from interposition.errors import ConfigurationError
    from interposition.pytest_plugin._config import default_cassette_name as named

    marker = request.node.get_closest_marker("default_cassette")
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str):
            msg = (
                "@pytest.mark.default_cassette takes one argument, the cassette "
                f"name (a string); got {marker.args!r}"
            )
            raise ConfigurationError(msg)
        return marker.args[0]
    return named(request.cls, request.node.name)


@pytest.fixture
def allowed_hosts(request: pytest.FixtureRequest) -> list[str] | None:
    """Hosts a blocked test may reach.

    From ``@pytest.mark.block_network(allowed_hosts=...)``, else
    ``@pytest.mark.allowed_hosts(...)``, else ``--allowed-hosts``, else
    ``vcr_config["allowed_hosts"]``.
    """
    block = request.node.get_closest_marker("block_network")
    marker = request.node.get_closest_marker("allowed_hosts")
    from_marker: Any = None
    if marker is not None:
        from_marker = [
            h for a in marker.args for h in ([a] if isinstance(a, str) else a)
        ]
    config = request.getfixturevalue("vcr_config")
    hosts = (
        (block.kwargs.get("allowed_hosts") if block is not None else None)
        or from_marker
        or request.config.getoption("--allowed-hosts")
        or (config.get("allowed_hosts") if hasattr(config, "get") else None)
    )
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    return list(hosts) if hosts is not None else None


def _check_block_mark(mark: pytest.Mark) -> None:
    from interposition.errors import ConfigurationError

    if mark.args or set(mark.kwargs) - {"allowed_hosts"}:
        msg = (
            "@pytest.mark.block_network takes only the keyword argument "
            f"allowed_hosts; got args {mark.args!r}, kwargs {mark.kwargs!r}"
        )
        raise ConfigurationError(msg)


@pytest.fixture
def vcr(request: pytest.FixtureRequest) -> Iterator[CassetteSession | None]:
    """The test's cassette session (None without ``@pytest.mark.vcr``).

    The session has ``play_counts``, ``unplayed``, ``all_played`` and
    ``interactions``. This fixture also blocks the network when asked.
    """
    node = request.node
    config = request.config
    markers = list(node.iter_markers(name="vcr"))
    block_mark = node.get_closest_marker("block_network")
    if block_mark is not None:
        _check_block_mark(block_mark)
    block = block_mark is not None or bool(config.getoption("--block-network"))
    if not markers and not block:
        yield None
        return
    mode = str(request.getfixturevalue("record_mode"))
    merged: dict[str, Any] = {}
    if markers:
        from interposition.pytest_plugin._config import merge_config

        merged = merge_config(request.getfixturevalue("vcr_config"), markers)
    # As pytest-recording decides it: --record-mode given on the command line
    # decides whether to block; else the markers' / vcr_config's record mode.
    blocking_mode = config.getoption("--record-mode") or merged.get("record_mode", mode)
    blocking_mode = getattr(blocking_mode, "value", blocking_mode)
    with contextlib.ExitStack() as stack:
        if block and (not markers or blocking_mode == "none"):
            from interposition.pytest_plugin._network import blocking_context

            stack.enter_context(
                blocking_context(request.getfixturevalue("allowed_hosts"))
            )
        if not markers or request.getfixturevalue("disable_recording"):
            yield None
            return
        yield stack.enter_context(_cassette(request, merged, markers, mode))


@contextlib.contextmanager
def _cassette(
    request: pytest.FixtureRequest,
    merged: dict[str, Any],
    markers: list[pytest.Mark],
    mode: str,
) -> Iterator[CassetteSession]:
    from interposition.http import use_cassette
    from interposition.http._unseen import quiet
    from interposition.pytest_plugin._config import VcrStandIn, cassette_spec
    from interposition.pytest_plugin._store import CombinedStore
    from interposition.stores import store_for_path

    config = request.config
    cassette_dir = str(request.getfixturevalue("vcr_cassette_dir"))
    stand_in = VcrStandIn(cassette_library_dir=cassette_dir, record_mode="")
    config.hook.pytest_recording_configure(config=config, vcr=stand_in)
    defaults: dict[str, Any] = {"cassette_format": "vcrpy"}
    spec = cassette_spec(
        merged,
        record_mode=mode,
        cassette_dir=cassette_dir,
        name=request.getfixturevalue("default_cassette_name"),
        markers=markers,
        stand_in=stand_in,
        defaults=defaults,
    )
    if spec.rewrite:
        with contextlib.suppress(FileNotFoundError):
            spec.path.unlink()
    options = spec.options
    combined: CombinedStore | None = None
    if spec.extra_paths:
        main = options.cassette_store or store_for_path(
            spec.path, create_if_missing=True, cassette_format=options.cassette_format
        )
        combined = CombinedStore(main, spec.path, spec.extra_paths)
        options = options.replace(cassette_store=combined)
    with quiet(), use_cassette(spec.path, options) as session:
        loaded = len(session.interactions)
        try:
            yield session
        finally:
            interactions = session.interactions
            segments = combined.sizes if combined is not None else [(spec.path, loaded)]
            _summary(config).add(
                list(segments),
                interactions,
                session.play_counts,
                replaced=options.record_mode == "all" and bool(interactions),
            )
