"""Tests as pytest-recording users write them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests

pytestmark = pytest.mark.vcr


def test_token_is_filtered(base_url: str) -> None:
    response = requests.get(
        f"{base_url}/users",
        params={"page": "1", "token": "s3cret"},
        headers={"Authorization": "Bearer s3cret", "X-Request-Id": "42"},
    )
    assert response.json()["path"].startswith("/users?page=1")


class TestUsers:
    @pytest.mark.parametrize("user_id", [1, 2, 3])
    def test_get(self, base_url: str, user_id: int) -> None:
        response = requests.get(f"{base_url}/staging/users/{user_id}")
        assert response.status_code == 200
        assert response.json()["path"].endswith(f"/users/{user_id}")

    def test_create(self, base_url: str) -> None:
        response = requests.post(
            f"{base_url}/users", json={"name": "Ada"}, headers={"X-Api-Key": "k"}
        )
        assert response.json()["body"] == '{"name": "Ada"}'


def test_binary(base_url: str) -> None:
    assert requests.get(f"{base_url}/binary").content == bytes(range(256))


def test_httpx_streaming(base_url: str) -> None:
    with httpx.Client() as client, client.stream("GET", f"{base_url}/stream") as r:
        assert b"".join(r.iter_bytes()) == b"one two three"


@pytest.mark.vcr("shared.yaml")
def test_with_shared_cassette(base_url: str) -> None:
    assert requests.get(f"{base_url}/shared").ok
    assert requests.get(f"{base_url}/own").ok


@pytest.mark.block_network
def test_blocked_outside_cassettes(vcr: Any) -> None:
    assert vcr is not None


@pytest.mark.vcr(record_mode="none")
def test_record_mode_in_marker(base_url: str) -> None:
    assert requests.get(f"{base_url}/users", params={"page": "2"}).ok
