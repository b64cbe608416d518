"""The pytest plugin, run as users run it: pytester projects on a loopback server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import requests  # noqa: F401 - imported before pytester's in-process runs
import yaml

from tests.pytest_plugin.conftest import Server

pytest_plugins = ["pytester"]

RUN = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-W", "error")


def recorded(path: Path) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    """(method, url, request headers, response headers) of each interaction.

    Whatever the cassette's format (vcrpy's or ours); header names lower case.
    """
    document = yaml.safe_load(path.read_text())
    out = []
    for interaction in document["interactions"]:
        request = interaction["request"]
        if "uri" in request:
            response = interaction["response"]
            out.append(
                (
                    request["method"],
                    request["uri"],
                    {k.lower(): v[0] for k, v in request["headers"].items()},
                    {k.lower(): v[0] for k, v in response["headers"].items()},
                )
            )
        else:
            head = interaction["response_chunks"][0]["metadata"]
            out.append(
                (
                    request["action"],
                    request["target"],
                    {k.lower(): v for k, v in request["headers"]},
                    {k.lower(): v for k, v in head if not k.startswith(":")},
                )
            )
    return out


def cassette_requests(path: Path) -> list[str]:
    """The "METHOD url" of every interaction in a cassette."""
    return [f"{method} {url}" for method, url, _, _ in recorded(path)]


def test_records_then_replays_with_pytest_recordings_paths(
    project: pytest.Pytester, server: Server
) -> None:
    project.makepyfile(
        test_api="""
        import pytest, requests

        @pytest.mark.vcr
        def test_plain(server_url):
            assert requests.get(server_url + "/plain").json()["path"] == "/plain"

        class TestUsers:
            @pytest.mark.vcr
            @pytest.mark.parametrize("name", ["a/b", "c:d"])
            def test_get(self, server_url, name, vcr):
                assert requests.get(server_url + "/u/" + name).status_code == 200
                assert vcr.play_counts == (1,)
        """
    )
    project.runpytest(*RUN, "--record-mode=once").assert_outcomes(passed=3)
    directory = project.path / "cassettes" / "test_api"
    assert sorted(p.name for p in directory.iterdir()) == [
        "TestUsers.test_get[a-b].yaml",
        "TestUsers.test_get[c-d].yaml",
        "test_plain.yaml",
    ]
    assert cassette_requests(directory / "test_plain.yaml") == [
        f"GET {server.url}/plain"
    ]
    hits = len(server.hits)
    # The default record mode is none: replay only, nothing reaches the server.
    result = project.runpytest(*RUN)
    result.assert_outcomes(passed=3)
    assert len(server.hits) == hits
    result.stdout.fnmatch_lines(
        ["interposition: 3 cassettes used, 0 recorded, 0 interactions not played"]
    )


def test_none_by_default_never_records(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest, requests

        @pytest.mark.vcr
        def test_new(server_url):
            requests.get(server_url + "/x")
        """
    )
    result = project.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*HttpInteractionNotFoundError*record_mode='none'*"])
    assert not (project.path / "cassettes").exists()


def test_record_mode_precedence(project: pytest.Pytester, server: Server) -> None:
    # A record mode in the marker or in vcr_config wins over --record-mode;
    # the test's marker wins over its class's and module's, and over vcr_config.
    project.makepyfile(
        test_modes="""
        import pytest, requests

        pytestmark = pytest.mark.vcr(record_mode="none")

        @pytest.fixture
        def vcr_config():
            return {"record_mode": "none"}

        @pytest.mark.vcr(record_mode="once")
        def test_marker_wins(server_url, vcr):
            requests.get(server_url + "/marker")
            assert vcr.record_mode == "once"

        def test_module_marker(server_url, vcr):
            assert vcr.record_mode == "none"

        @pytest.mark.vcr(record_mode="new_episodes")
        class TestClass:
            def test_class_marker(self, vcr):
                assert vcr.record_mode == "new_episodes"

            @pytest.mark.vcr(record_mode="all")
            def test_own_marker(self, vcr):
                assert vcr.record_mode == "all"
        """
    )
    project.runpytest(*RUN, "--record-mode=new_episodes").assert_outcomes(passed=4)
    project.makepyfile(
        test_config="""
        import pytest

        @pytest.fixture
        def vcr_config():
            return {"record_mode": "once"}

        @pytest.mark.vcr
        def test_config_wins(vcr):
            assert vcr.record_mode == "once"

        @pytest.mark.vcr
        def test_no_marker_mode(vcr, record_mode):
            assert record_mode == "all"
        """
    )
    project.runpytest(*RUN, "--record-mode=all", "test_config.py").assert_outcomes(
        passed=2
    )


def test_record_mode_fixture_and_option(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.vcr
        def test_default(vcr, record_mode):
            assert record_mode == vcr.record_mode == "new_episodes"
        """
    )
    project.runpytest(*RUN, "--record-mode=new_episodes").assert_outcomes(passed=1)
    result = project.runpytest(*RUN, "--record-mode=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--record-mode*invalid choice*sometimes*"])


def test_rewrite_deletes_and_records_again(
    project: pytest.Pytester, server: Server
) -> None:
    project.makepyfile(
        """
        import pytest, requests

        @pytest.mark.vcr
        def test_it(server_url, request):
            path = request.config.getoption("--record-mode")
            requests.get(server_url + ("/second" if path == "rewrite" else "/first"))
        """
    )
    project.runpytest(*RUN, "--record-mode=once").assert_outcomes(passed=1)
    cassette = project.path / "cassettes" / "test_rewrite_deletes_and_records_again"
    cassette = cassette / "test_it.yaml"
    assert cassette_requests(cassette) == [f"GET {server.url}/first"]
    project.runpytest(*RUN, "--record-mode=rewrite").assert_outcomes(passed=1)
    assert cassette_requests(cassette) == [f"GET {server.url}/second"]


def test_extra_cassettes_are_read_only(
    project: pytest.Pytester, server: Server
) -> None:
    project.makepyfile(
        test_x="""
        import pytest, requests

        @pytest.mark.vcr
        def test_shared(server_url):
            requests.get(server_url + "/shared")

        @pytest.mark.vcr("shared.yaml")
        def test_combined(server_url, vcr):
            requests.get(server_url + "/shared")
            requests.get(server_url + "/own")
        """
    )
    directory = project.path / "cassettes" / "test_x"
    project.runpytest(*RUN, "--record-mode=once", "-k", "shared").assert_outcomes(
        passed=1
    )
    (directory / "test_shared.yaml").rename(directory / "shared.yaml")
    shared = (directory / "shared.yaml").read_bytes()
    result = project.runpytest(*RUN, "--record-mode=new_episodes", "-k", "combined")
    result.assert_outcomes(passed=1)
    assert (directory / "shared.yaml").read_bytes() == shared
    assert cassette_requests(directory / "test_combined.yaml") == [
        f"GET {server.url}/own"
    ]
    hits = len(server.hits)
    project.runpytest(*RUN, "-k", "combined").assert_outcomes(passed=1)
    assert len(server.hits) == hits


def test_cassette_names_and_directories(project: pytest.Pytester) -> None:
    long_id = "x" * 300
    project.makepyfile(
        test_names=f"""
        import os, pytest, requests

        @pytest.mark.vcr
        @pytest.mark.default_cassette("chosen.yaml")
        def test_default_cassette(server_url, vcr):
            requests.get(server_url + "/a")

        @pytest.mark.vcr(serializer="json")
        def test_json(server_url):
            requests.get(server_url + "/b")

        @pytest.mark.vcr
        @pytest.mark.parametrize("value", ["long"], ids=[{long_id!r}])
        def test_long(server_url, value):
            requests.get(server_url + "/c")

        @pytest.mark.vcr
        @pytest.mark.parametrize("value", ["../../escape"])
        def test_escape(server_url, value):
            requests.get(server_url + "/d")
        """
    )
    project.makeconftest(
        project.path.joinpath("conftest.py").read_text()
        + """

@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(request.path.parent / "recorded")
"""
    )
    project.runpytest(*RUN, "--record-mode=once").assert_outcomes(passed=4)
    names = sorted(p.name for p in (project.path / "recorded").iterdir())
    full = f"test_long[{long_id}]"
    limit = os.pathconf(".", "PC_NAME_MAX")
    digest = hashlib.md5(full.encode()).hexdigest()
    shortened = f"{full[: limit - len('.yaml') - 35]}...{digest}.yaml"
    assert len(shortened) == limit
    assert names == sorted(
        ["chosen.yaml", "test_json.json", shortened, "test_escape[..-..-escape].yaml"]
    )


def test_vcr_config_keys_keep_vcrpys_meaning(
    project: pytest.Pytester, server: Server
) -> None:
    project.makepyfile(
        """
        import json, pytest, requests

        seen = []

        def scrub(request):
            seen.append((type(request).__name__, request.method, request.host,
                         request.path, request.query))
            request.headers.pop("X-Trace", None)
            request.uri = request.uri.replace("secret-id", "ID")
            return request

        def shrink(response):
            assert response["status"]["code"] == 200
            response["headers"].pop("Set-Cookie")
            response["body"]["string"] = response["body"]["string"].replace(
                b"/items", b"/ITEMS")
            return response

        @pytest.fixture(scope="module")
        def vcr_config():
            return {
                "filter_headers": ["user-agent", ("x-token", "XXX")],
                "filter_query_parameters": ["key"],
                "before_record_request": scrub,
                "before_record_response": [shrink],
                "match_on": ["method", "uri"],
            }

        @pytest.mark.vcr
        def test_it(server_url):
            response = requests.get(server_url + "/items/secret-id?key=k&a=1",
                                    headers={"X-Trace": "t", "X-Token": "tok"})
            assert response.json()["path"].startswith("/")
            assert seen[0][0] == "VcrRequest" and seen[0][1:3] == ("GET", "127.0.0.1")
        """
    )
    project.runpytest(*RUN, "--record-mode=once").assert_outcomes(passed=1)
    (cassette,) = (project.path / "cassettes").rglob("*.yaml")
    ((method, url, sent, received),) = recorded(cassette)
    assert (method, url) == ("GET", f"{server.url}/items/ID?a=1")
    assert "user-agent" not in sent
    assert "x-trace" not in sent
    assert sent["x-token"] == "XXX"
    assert "set-cookie" not in received
    assert b"/ITEMS/" in cassette.read_bytes() or "/ITEMS/" in cassette.read_text()
    hits = len(server.hits)
    # The hook is applied to the incoming request too: the replay matches.
    project.runpytest(*RUN).assert_outcomes(passed=1)
    assert len(server.hits) == hits


def test_unsupported_key_is_a_warning_naming_it(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.vcr(record_on_exception=False, colour="blue")
        def test_it(vcr):
            pass
        """
    )
    result = project.runpytest(*RUN[:4], "-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*VcrConfigWarning*'record_on_exception' is not supported*",
            "*VcrConfigWarning*'colour' is not supported*",
        ]
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "@pytest.fixture\ndef vcr_config():\n    return ['record_mode']\n\n"
            "@pytest.mark.vcr\ndef test_it(): pass",
            "*vcr_config fixture must return a dict*not list*",
        ),
        (
            "@pytest.mark.vcr(42)\ndef test_it(): pass",
            "*mark.vcr takes cassette paths*not 42*",
        ),
        (
            "@pytest.mark.vcr(record_mode='sometimes')\ndef test_it(): pass",
            "*record_mode must be one of none, once, new_episodes, all, rewrite*",
        ),
        (
            "@pytest.mark.vcr(filter_headers='authorization')\ndef test_it(): pass",
            "*filter_headers must be a list*",
        ),
        (
            "@pytest.mark.vcr(before_record_request=3)\ndef test_it(): pass",
            "*before_record_request must be a callable*",
        ),
        (
            "@pytest.mark.vcr\n@pytest.mark.default_cassette()\ndef test_it(): pass",
            "*default_cassette takes one argument*",
        ),
        (
            "@pytest.mark.vcr\n@pytest.mark.default_cassette('../../up.yaml')\n"
            "def test_it(): pass",
            "*leaves the cassette directory*",
        ),
        (
            "@pytest.mark.block_network('x')\ndef test_it(): pass",
            "*block_network takes only the keyword argument allowed_hosts*",
        ),
    ],
)
def test_bad_input_is_a_clear_error_at_the_test(
    project: pytest.Pytester, source: str, message: str
) -> None:
    project.makepyfile("import pytest\n\n" + source)
    result = project.runpytest(*RUN)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ConfigurationError*", message])


def test_recording_configure_hook_registers_a_matcher(
    project: pytest.Pytester, server: Server
) -> None:
    project.makeconftest(
        project.path.joinpath("conftest.py").read_text()
        + """

def same_tenant(r1, r2):
    assert r1.headers.get("X-Tenant") == r2.headers.get("X-Tenant")

def pytest_recording_configure(config, vcr):
    vcr.register_matcher("tenant", same_tenant)
"""
    )
    project.makepyfile(
        """
        import pytest, requests

        @pytest.mark.vcr(match_on=["method", "path", "tenant"], record_mode="none")
        def test_it(server_url):
            a = requests.get(server_url + "/t", headers={"X-Tenant": "a"}).json()
            b = requests.get(server_url + "/t", headers={"X-Tenant": "b"}).json()
            assert (a["headers"]["X-Tenant"], b["headers"]["X-Tenant"]) == ("a", "b")
        """
    )
    project.runpytest(*RUN, "--record-mode=once")  # the marker's none wins
    assert not (project.path / "cassettes").exists()
    project.path.joinpath("test_recording_configure_hook_registers_a_matcher.py")
    source = project.path / "test_recording_configure_hook_registers_a_matcher.py"
    source.write_text(source.read_text().replace(', record_mode="none"', ""))
    project.runpytest(*RUN, "--record-mode=once").assert_outcomes(passed=1)
    hits = len(server.hits)
    project.runpytest(*RUN).assert_outcomes(passed=1)
    assert len(server.hits) == hits


def test_disable_recording(project: pytest.Pytester, server: Server) -> None:
    project.makepyfile(
        """
        import pytest, requests

        @pytest.mark.vcr
        def test_it(server_url, vcr):
            assert vcr is None
            requests.get(server_url + "/live")
        """
    )
    project.runpytest(*RUN, "--disable-recording").assert_outcomes(passed=1)
    assert server.hits == ["GET /live"]
    assert not (project.path / "cassettes").exists()


def test_fail_on_unplayed(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest, requests

        @pytest.mark.vcr
        def test_it(server_url, request):
            requests.get(server_url + "/one")
            if request.config.getoption("--record-mode") == "once":
                requests.get(server_url + "/two")
        """
    )
    result = project.runpytest(*RUN, "--record-mode=once")
    result.stdout.fnmatch_lines(["interposition: 1 cassette used, 1 recorded, 0 *"])
    result = project.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["interposition: 1 cassette used, 0 recorded, 1 interaction not played"]
    )
    result = project.runpytest(*RUN, "--fail-on-unplayed")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*test_it.yaml: 1 interaction not played*"])


def test_pytest_vcr_beside_is_refused(project: pytest.Pytester) -> None:
    project.makepyfile(vcr="# stands in for pytest-vcr's plugin module\n")
    project.makepyfile("def test_it(): pass")
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-p", "vcr")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*incompatible with pytest-vcr*Uninstall pytest-vcr*"])


def test_pytest_recording_beside_is_detected(project: pytest.Pytester) -> None:
    # An importable pytest_recording package is what an installed one looks like.
    project.mkpydir("pytest_recording")
    project.makepyfile("def test_it(): pass")
    project.syspathinsert()
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*pytest-recording is installed beside interposition*-p no:recording*"]
    )
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:recording"
    )
    result.assert_outcomes(passed=1)
