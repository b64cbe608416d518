"""The program the demo runs under ``interposition run``: it knows nothing of it.

It calls an API with the standard library alone (``urllib.request``) and
prints what it got. Run it as ``python examples/demo_app.py BASE_URL``.
"""

from __future__ import annotations

import json
import sys
import urllib.request


def get(url: str) -> bytes:
    """GET ``url`` with a bearer token, as a real client would."""
    request = urllib.request.Request(
        url, headers={"Authorization": "Bearer s3cr3t-t0ken"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body: bytes = response.read()
        return body


def main(base: str) -> int:
    """Fetch two users and a report; exit 0 when all came back."""
    for user_id in (1, 2):
        user = json.loads(get(f"{base}/users/{user_id}"))
        print(f"   user {user['id']}: {user['name']}")
    report = get(f"{base}/report").decode()
    print(f"   report: {report.count(chr(10))} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
