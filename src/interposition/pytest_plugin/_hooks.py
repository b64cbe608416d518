"""The hook conftest files implement, as pytest-recording declares it."""

from __future__ import annotations

from typing import Any


def pytest_recording_configure(config: Any, vcr: Any) -> None:
    """Called before each ``@pytest.mark.vcr`` cassette is opened.

    Args:
        config: The pytest config.
        vcr: The ``VcrStandIn`` for the test (vcrpy's ``VCR`` under
            pytest-recording): ``vcr.register_matcher(name, function)``
            makes a vcrpy-style matcher usable in ``match_on``.
    """
