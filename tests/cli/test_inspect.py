"""interposition inspect: a table or JSON of any cassette we read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interposition import Interaction, InteractionRequest, ResponseChunk
from tests.cli.conftest import VCRPY_DATA, Cli, sample_interactions, write_cassette


def test_table_lists_every_interaction(cli: Cli, sample: Path) -> None:
    result = cli("inspect", sample)
    assert result.status == 0, result.err
    assert f"{sample}: 3 of 3 interactions" in result.out
    assert "https://api.example.com/users/1" in result.out
    assert "https://other.example.org/stream?page=2" in result.out
    lines = [line for line in result.out.splitlines() if "other.example.org" in line]
    assert "13" in lines[0]  # size
    assert lines[0].rstrip(" │").endswith("3")  # chunks


@pytest.mark.parametrize("name", ["c.json", "c.yaml", "c.jsonl", "c"])
def test_json_document_in_every_format_of_ours(
    cli: Cli, tmp_path: Path, name: str
) -> None:
    path = write_cassette(tmp_path / name, sample_interactions())
    result = cli("inspect", path, "--json")
    assert result.status == 0, result.err
    document = json.loads(result.out)
    assert document["total"] == 3
    assert [row["status"] for row in document["interactions"]] == [200, 201, 200]
    assert [row["chunks"] for row in document["interactions"]] == [1, 1, 3]
    assert document["interactions"][1] == {
        "index": 1,
        "protocol": "http",
        "method": "POST",
        "url": "https://api.example.com/upload",
        "status": 201,
        "size": 256,
        "chunks": 1,
    }


@pytest.mark.parametrize("fixture", sorted(p.name for p in VCRPY_DATA.glob("v*")))
def test_vcrpy_cassettes(cli: Cli, fixture: str) -> None:
    result = cli("inspect", VCRPY_DATA / fixture, "--json")
    assert result.status == 0, result.err
    rows = json.loads(result.out)["interactions"]
    assert rows
    assert all(row["url"].startswith("http") and row["status"] for row in rows)


def test_filters(cli: Cli, sample: Path) -> None:
    def urls(*args: str) -> list[str]:
        result = cli("inspect", sample, "--json", *args)
        assert result.status == 0, result.err
        return [row["url"] for row in json.loads(result.out)["interactions"]]

    assert urls("--method", "post") == ["https://api.example.com/upload"]
    assert urls("--host", "other.example.org") == [
        "https://other.example.org/stream?page=2"
    ]
    assert urls("--grep", "two,") == ["https://other.example.org/stream?page=2"]
    assert urls("--grep", r'"id": ?1') == ["https://api.example.com/users/1"]
    assert urls("--method", "DELETE") == []


def test_non_http_interactions_show_protocol_action_target(
    cli: Cli, tmp_path: Path
) -> None:
    request = InteractionRequest(
        protocol="grpc", action="GetUser", target="users.v1/Get", headers=(), body=b""
    )
    interaction = Interaction.build(request, (ResponseChunk(data=b"x", sequence=0),))
    path = write_cassette(tmp_path / "grpc.json", (interaction,))
    result = cli("inspect", path)
    assert result.status == 0, result.err
    assert "grpc: users.v1/Get" in result.out
    assert "GetUser" in result.out


def test_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    missing = cli("inspect", tmp_path / "nope.yaml")
    assert missing.status == 2
    expected = f"no cassette at {tmp_path / 'nope.yaml'}: check the path"
    assert missing.err == f"interposition: error: {expected}\n"
    corrupt = tmp_path / "bad.json"
    corrupt.write_text("{not json")
    result = cli("inspect", corrupt)
    assert result.status == 2
    assert result.err.count("\n") == 1
    assert str(corrupt) in result.err
    unknown = tmp_path / "c.txt"
    unknown.write_text("x")
    result = cli("inspect", unknown)
    assert result.status == 2
    assert "unknown cassette format '.txt'" in result.err
    result = cli("inspect", tmp_path / "nope.yaml", "--grep", "(")
    assert result.status == 2
    bad_regex = cli("inspect", write_cassette(tmp_path / "ok.json", ()), "--grep", "(")
    assert bad_regex.status == 2
    assert "is not a regular expression" in bad_regex.err
