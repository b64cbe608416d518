"""interposition audit: credentials found, masked, and the exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from interposition.http import HttpRequest, HttpResponse, to_interaction
from tests.cli.conftest import ROOT, Cli, sample_interactions, write_cassette

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"
AWS = "AKIAIOSFODNN7EXAMPLE"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


def leaky(tmp_path: Path) -> Path:
    interactions = (
        to_interaction(
            HttpRequest(
                "POST",
                "https://api.example.com/login?api_key=k3y-v4lu3-0123",
                (("Authorization", "Bearer sk-live-0123456789"), ("Cookie", "sid=abc")),
                b'{"user": "a", "password": "hunter2hunter2", "max_tokens": 5}',
            ),
            HttpResponse(
                200,
                "OK",
                (
                    ("Content-Type", "application/json"),
                    ("Set-Cookie", "sid=new; Path=/"),
                ),
                json.dumps(
                    {
                        "id_token": JWT,
                        "aws": {"key": AWS},
                        "signing_nonce": "Zq8vX2pL9rT4mW7kY1nB5cD3",
                        "token_type": "bearer",
                        "pem": PEM,
                    }
                ).encode(),
            ),
        ),
    )
    return write_cassette(tmp_path / "leaky.yaml", interactions)


def test_reports_each_credential_masked(cli: Cli, tmp_path: Path) -> None:
    path = leaky(tmp_path)
    result = cli("audit", path)
    assert result.status == 1
    lines = result.out.splitlines()
    expected = [
        "request header Authorization: credential header (Bear… 25 chars)",
        "request header Cookie: credential header (****)",
        "query parameter api_key: credential field (k3y-… 14 chars)",
        "request body field password: credential field (hunt… 14 chars)",
        "response header Set-Cookie: credential header (sid=… 15 chars)",
    ]
    for line in expected:
        assert f"{path}: interaction 0: {line}" in lines
    wheres = {
        line.split(": ")[2] + ": " + line.split(": ")[3].split(" (")[0]
        for line in lines
    }
    assert "response body field id_token: credential field" in wheres
    assert "response body: JWT" in wheres
    assert "response body: AWS access key id" in wheres
    assert "response body: private key" in wheres
    assert (
        "response body field signing_nonce: high-entropy value in a secret-like field"
        in wheres
    )
    assert not any("max_tokens" in line or "token_type" in line for line in lines)
    # Values are never printed whole.
    for secret in ("sk-live-0123456789", "hunter2hunter2", JWT, AWS, "k3y-v4lu3-0123"):
        assert secret not in result.out
    assert "credentials found in 1 cassettes" in result.err


def test_clean_cassettes_exit_zero(cli: Cli, tmp_path: Path) -> None:
    write_cassette(tmp_path / "tree" / "a.yaml", sample_interactions())
    write_cassette(tmp_path / "tree" / "deep" / "b.json", sample_interactions())
    write_cassette(tmp_path / "tree" / "dir-cassette", sample_interactions())
    result = cli("audit", tmp_path / "tree")
    assert result.status == 0, result.out
    assert result.out == ""
    assert result.err == "no credentials found in 3 cassettes\n"


def test_redacted_values_are_clean(cli: Cli, tmp_path: Path) -> None:
    path = leaky(tmp_path)
    assert cli("convert", path, tmp_path / "redacted.yaml").status == 0
    result = cli("audit", tmp_path / "redacted.yaml")
    # The redactor redacts credential names; patterns in other fields remain.
    wheres = {line.split(": ", 2)[2] for line in result.out.splitlines()}
    assert not any("header" in w or "query" in w or "password" in w for w in wheres)


def test_json_report_and_unreadable_files_scanned_as_text(
    cli: Cli, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(f"interactions: [\n  token: {AWS}\n")
    result = cli("audit", broken, "--json")
    assert result.status == 1
    report = json.loads(result.out)
    assert report["scanned"] == 1
    assert report["unreadable"][0]["path"] == str(broken)
    (finding,) = report["findings"]
    assert finding == {
        "path": str(broken),
        "interaction": None,
        "where": "text",
        "what": "AWS access key id",
        "value": "AKIA… 20 chars",
        "line": 2,
    }


def test_missing_path_is_one_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("audit", tmp_path / "nowhere")
    assert result.status == 2
    assert (
        result.err
        == f"interposition: error: no such file or directory: {tmp_path / 'nowhere'}\n"
    )


def test_pre_commit_hook_manifest(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "interposition-audit"
    assert hook["entry"] == "interposition audit"
    assert hook["language"] == "python"
    # The entry, given files as pre-commit gives them, fails on a leak.
    path = leaky(tmp_path)
    command = [
        sys.executable,
        "-m",
        "interposition",
        *hook["entry"].split()[1:],
        str(path),
    ]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 1
