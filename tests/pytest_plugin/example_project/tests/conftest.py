"""vcr_config as pytest-recording users write it."""

from __future__ import annotations

from typing import Any

import pytest

BASE_URL = "http://127.0.0.1:8765"


def drop_request_id(request: Any) -> Any:
    request.headers.pop("X-Request-Id", None)
    # Recorded against a staging host, replayed under its public name.
    request.uri = request.uri.replace("/staging/", "/")
    return request


def drop_date(response: Any) -> Any:
    response["headers"].pop("Date", None)
    response["headers"].pop("Server", None)
    return response


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": ["authorization", ("x-api-key", "DUMMY")],
        "filter_query_parameters": ["token"],
        "before_record_request": drop_request_id,
        "before_record_response": drop_date,
        "decode_compressed_response": True,
    }


@pytest.fixture
def base_url() -> str:
    return BASE_URL
