"""google-api-python-client, the main user of httplib2, through use_cassette.

A service built from a small local discovery document talks to a loopback
server; recorded, then replayed with the server stopped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from interposition.http import HttpInteractionNotFoundError, use_cassette

from .conftest import LiveServer


def _discovery(root: str) -> str:
    item = {"$ref": "Item"}
    document = {
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": "fake:v1",
        "name": "fake",
        "version": "v1",
        "protocol": "rest",
        "rootUrl": root,
        "servicePath": "",
        "baseUrl": root,
        "batchPath": "batch",
        "parameters": {
            "alt": {"type": "string", "default": "json", "location": "query"}
        },
        "schemas": {
            "Item": {
                "id": "Item",
                "type": "object",
                "properties": {"body": {"type": "string"}},
            }
        },
        "resources": {
            "echo": {
                "methods": {
                    "get": {
                        "id": "fake.echo.get",
                        "path": "echo",
                        "httpMethod": "GET",
                        "parameters": {"q": {"type": "string", "location": "query"}},
                        "response": item,
                    },
                    "insert": {
                        "id": "fake.echo.insert",
                        "path": "echo",
                        "httpMethod": "POST",
                        "request": item,
                        "response": item,
                    },
                }
            },
            "status": {
                "methods": {
                    "get": {
                        "id": "fake.status.get",
                        "path": "status/{code}",
                        "httpMethod": "GET",
                        "parameters": {
                            "code": {
                                "type": "string",
                                "required": True,
                                "location": "path",
                            }
                        },
                        "parameterOrder": ["code"],
                    }
                }
            },
        },
    }
    return json.dumps(document)


def _scenario(root: str) -> tuple[Any, ...]:
    service = build_from_document(_discovery(root), http=httplib2.Http())
    got = service.echo().get(q="hello").execute()
    posted = service.echo().insert(body={"body": "new"}).execute()
    with pytest.raises(HttpError) as caught:
        service.status().get(code="404").execute()
    return got["method"], got["path"], posted["method"], caught.value.resp.status


def test_a_discovery_service_records_and_replays(
    server: LiveServer, cassette_path: Path
) -> None:
    root = server.url + "/"
    with use_cassette(cassette_path):
        recorded = _scenario(root)
    assert recorded == ("GET", "/echo?q=hello&alt=json", "POST", 404)
    assert server.hits == 3
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert _scenario(root) == recorded
    assert cassette.all_played
    with use_cassette(cassette_path, record_mode="none"):
        service = build_from_document(_discovery(root), http=httplib2.Http())
        with pytest.raises(HttpInteractionNotFoundError, match="q=other"):
            service.echo().get(q="other").execute()
