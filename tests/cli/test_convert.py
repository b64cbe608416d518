"""interposition convert: between our formats and vcrpy's, files and trees."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import vcr
import yaml

from interposition.cli._common import load_cassette
from interposition.http import (
    HttpRequest,
    HttpResponse,
    from_interaction,
    to_interaction,
)
from tests.cli.conftest import VCRPY_DATA, Cli, sample_interactions, write_cassette


def http(path: Path) -> list[tuple[HttpRequest, HttpResponse]]:
    return [from_interaction(i) for i in load_cassette(path).interactions]


def test_round_trip_through_every_format_of_ours_loses_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    source = write_cassette(tmp_path / "a.json", sample_interactions())
    chain = [
        source,
        tmp_path / "b.yaml",
        tmp_path / "c.jsonl",
        tmp_path / "d",
        tmp_path / "e.json",
    ]
    for src, dst in itertools.pairwise(chain):
        result = cli("convert", src, dst)
        assert result.status == 0, result.err
        assert result.err == f"converted {src} -> {dst}\n"
    before, after = http(source), http(chain[-1])
    assert before == after
    assert after[1][1].body == bytes(range(256))
    assert after[1][1].header_values("X-Tag") == ["a", "b"]
    assert after[2][1].chunks == (b"one,", b"two,", b"three")


def test_to_vcrpy_warns_of_joined_chunks_and_vcrpy_reads_it(
    cli: Cli, tmp_path: Path
) -> None:
    source = write_cassette(tmp_path / "a.yaml", sample_interactions())
    target = tmp_path / "vcr.yaml"
    result = cli("convert", source, target, "--format", "vcrpy")
    assert result.status == 0, result.err
    assert result.err.splitlines()[0] == (
        "warning: vcrpy's format keeps no chunk boundaries: the response chunks "
        "of 1 interaction were joined"
    )
    document = yaml.safe_load(target.read_text())
    assert document["version"] == 1
    assert len(document["interactions"]) == 3
    # vcrpy itself loads what we wrote.
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    requests, responses = FilesystemPersister.load_cassette(str(target), yamlserializer)
    assert [r.uri for r in requests] == [
        "https://api.example.com/users/1",
        "https://api.example.com/upload",
        "https://other.example.org/stream?page=2",
    ]
    assert responses[2]["body"]["string"] == b"one,two,three"
    assert vcr.__name__ == "vcr"
    # And back: everything but the chunk boundaries survives.
    back = tmp_path / "back.json"
    assert cli("convert", target, back).status == 0
    before, after = http(source), http(back)
    assert [r for r, _ in before] == [r for r, _ in after]
    assert [(s.status, s.body) for _, s in before] == [
        (s.status, s.body) for _, s in after
    ]
    assert after[1][1].header_values("X-Tag") == ["a", "b"]


@pytest.mark.parametrize("fixture", ["v8-requests.yaml", "v9-requests.json"])
def test_from_vcrpy_fixtures(cli: Cli, tmp_path: Path, fixture: str) -> None:
    target = tmp_path / "ours.yaml"
    result = cli("convert", VCRPY_DATA / fixture, target)
    assert result.status == 0, result.err
    assert target.read_text().startswith("# interposition cassette")
    assert len(load_cassette(target).interactions) == len(
        load_cassette(VCRPY_DATA / fixture).interactions
    )


def _leaky(tmp_path: Path) -> Path:
    interaction = to_interaction(
        HttpRequest(
            "GET",
            "https://api.example.com/me?access_token=abc123secret",
            (("Authorization", "Bearer abc.def.ghi"),),
        ),
        HttpResponse(200, "OK", (("Set-Cookie", "sid=xyz; Path=/"),), b"{}"),
    )
    in_body = to_interaction(
        HttpRequest(
            "POST",
            "https://api.example.com/keys",
            (("Content-Type", "application/json"),),
            b'{"name": "ci", "apiKey": "k-0123456789abcdef"}',
        ),
        HttpResponse(201, "Created", (), b""),
    )
    return write_cassette(tmp_path / "leaky.json", (interaction, in_body))


def test_redacts_on_the_way_unless_told_not_to(cli: Cli, tmp_path: Path) -> None:
    source = _leaky(tmp_path)
    assert cli("convert", source, tmp_path / "clean.yaml").status == 0
    (request, response), (posted, _) = http(tmp_path / "clean.yaml")
    assert b"k-0123456789abcdef" not in posted.body
    assert b'"name":"ci"' in posted.body
    assert request.header("Authorization") == "Bearer REDACTED"
    assert "abc123secret" not in request.url
    assert response.header("Set-Cookie") == "sid=REDACTED; Path=/"
    assert cli("audit", tmp_path / "clean.yaml").status == 0
    assert cli("convert", source, tmp_path / "raw.yaml", "--no-redact").status == 0
    (request, _), _ = http(tmp_path / "raw.yaml")
    assert request.header("Authorization") == "Bearer abc.def.ghi"


def test_refuses_to_replace_without_force(cli: Cli, tmp_path: Path) -> None:
    source = write_cassette(tmp_path / "a.json", sample_interactions())
    target = write_cassette(tmp_path / "b.json", ())
    result = cli("convert", source, target)
    assert result.status == 2
    assert (
        result.err
        == f"interposition: error: {target} exists: pass --force to replace it\n"
    )
    assert cli("convert", source, target, "--force").status == 0
    assert len(load_cassette(target).interactions) == 3


def test_bad_arguments_are_one_line(cli: Cli, tmp_path: Path) -> None:
    source = write_cassette(tmp_path / "a.json", sample_interactions())
    for args, message in (
        ((source, tmp_path / "b.txt"), "cannot tell a format from 'b.txt'"),
        ((source, tmp_path / "b", "--format", "xml"), "unknown format 'xml'"),
        ((tmp_path / "missing.json", tmp_path / "b.json"), "no cassette at"),
    ):
        result = cli("convert", *args)
        assert result.status == 2
        assert result.err.count("\n") == 1
        assert message in result.err


def test_a_tree_is_converted_into_the_target_with_a_summary(
    cli: Cli, tmp_path: Path
) -> None:
    tree = tmp_path / "vcr_cassettes"
    for fixture in ("v8-requests.yaml", "v9-httpx.yaml", "v9-requests.json"):
        (tree / "sub").mkdir(parents=True, exist_ok=True)
        (tree / "sub" / fixture).write_bytes((VCRPY_DATA / fixture).read_bytes())
    (tree / "broken.yaml").write_text("interactions: [unclosed\n")
    (tree / "notes.txt").write_text("not a cassette")
    target = tmp_path / "cassettes"
    result = cli("convert", tree, target)
    assert result.status == 2  # one failed
    assert result.err.splitlines()[-1] == "converted 3, skipped 0, failed 1"
    assert f"failed {tree / 'broken.yaml'}: " in result.err
    assert (
        (target / "sub" / "v9-httpx.yaml")
        .read_text()
        .startswith("# interposition cassette")
    )
    assert (target / "sub" / "v9-requests.json").read_bytes().startswith(b'{"version":')
    (tree / "broken.yaml").unlink()
    again = cli("convert", tree, target)
    assert again.status == 0
    assert again.err.splitlines()[-1] == "converted 0, skipped 3, failed 0"
    to_jsonl = cli("convert", tree, tmp_path / "lines", "--format", "jsonl")
    assert to_jsonl.status == 0, to_jsonl.err
    assert sorted(p.name for p in (tmp_path / "lines" / "sub").iterdir()) == [
        "v8-requests.jsonl",
        "v9-httpx.jsonl",
        "v9-requests.jsonl",
    ]
