"""Network blocking: --block-network, the markers, and blocking_context()."""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

import pytest
import requests

from interposition.errors import ConfigurationError
from interposition.pytest_plugin import blocking_context
from tests.pytest_plugin.conftest import Server

pytest_plugins = ["pytester"]

RUN = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-W", "error")


def test_blocks_tcp_udp_and_unix_sockets(server: Server, tmp_path: Path) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with blocking_context():
        with pytest.raises(
            RuntimeError, match=r"^Network is disabled for host '127\.0\.0\.1'$"
        ):
            requests.get(server.url + "/x")
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with udp, pytest.raises(RuntimeError, match=r"host '127\.0\.0\.1'"):
            udp.connect(("127.0.0.1", 9))
        path = str(tmp_path / "sock")
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)
            listener.listen()
            unix = socket.socket(socket.AF_UNIX)
            with unix, pytest.raises(RuntimeError, match=re.escape(f"host '{path}'")):
                unix.connect(path)
        with socket.socket() as tcp, pytest.raises(RuntimeError):
            tcp.connect_ex(("127.0.0.1", port))
        # Other threads are blocked too.
        errors: list[BaseException] = []

        def connect() -> None:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
            except RuntimeError as exc:
                errors.append(exc)

        thread = threading.Thread(target=connect)
        thread.start()
        thread.join()
        assert len(errors) == 1
    assert server.hits == []
    assert requests.get(server.url + "/after").status_code == 200  # unblocked


def test_allowed_hosts_names_ips_and_patterns(server: Server) -> None:
    with blocking_context(["localhost", r"127\.0\.0\.\d+"]):
        assert requests.get(server.url + "/ok").status_code == 200
    with blocking_context("example.com,127.0.0.1"):
        assert requests.get(server.url + "/ok").status_code == 200
    with blocking_context(["10.0.0.1"]), pytest.raises(RuntimeError):
        requests.get(server.url + "/no")
    with pytest.raises(ConfigurationError, match="not a valid regular expression"):
        blocking_context(["("]).__enter__()
    with pytest.raises(ConfigurationError, match="strings"):
        blocking_context([3]).__enter__()  # type: ignore[list-item]


def test_options_and_markers(project: pytest.Pytester, server: Server) -> None:
    project.makepyfile(
        test_blocked="""
        import pytest, requests

        def test_cli_blocks(server_url):
            with pytest.raises(RuntimeError, match="Network is disabled"):
                requests.get(server_url + "/cli")

        @pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
        def test_marker_allows(server_url):
            requests.get(server_url + "/marker-allowed")

        @pytest.mark.allowed_hosts("127.0.0.*")
        def test_allowed_hosts_marker(server_url):
            requests.get(server_url + "/allowed-marker")

        @pytest.mark.vcr
        def test_recording_goes_through(server_url, vcr):
            requests.get(server_url + "/recorded")
        """
    )
    result = project.runpytest(*RUN, "--block-network", "--record-mode=once")
    result.assert_outcomes(passed=4)
    assert sorted(server.hits) == [
        "GET /allowed-marker",
        "GET /marker-allowed",
        "GET /recorded",
    ]
    project.runpytest(
        *RUN, "--block-network", "--allowed-hosts=127.0.0.1", "-k", "cli"
    ).assert_outcomes(failed=1)
    # Replaying (record mode none) is blocked except for the cassette's replay.
    project.runpytest(*RUN, "--block-network", "-k", "recording").assert_outcomes(
        passed=1
    )
    project.makepyfile(
        test_mark_only="""
        import pytest, requests

        @pytest.mark.block_network
        def test_blocked(server_url):
            with pytest.raises(RuntimeError, match="Network is disabled"):
                requests.get(server_url + "/x")

        def test_free(server_url):
            requests.get(server_url + "/free")
        """,
        test_config_hosts="""
        import pytest, requests

        @pytest.fixture
        def vcr_config():
            return {"allowed_hosts": ["127.0.0.1"]}

        @pytest.mark.block_network
        def test_config_allows(server_url):
            requests.get(server_url + "/config")
        """,
    )
    project.runpytest(
        *RUN, "test_mark_only.py", "test_config_hosts.py"
    ).assert_outcomes(passed=3)
