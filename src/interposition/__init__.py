"""Protocol-agnostic interaction interposition with lifecycle hooks.

Record, replay and control the interactions a program has with the outside
world. Importing this package imports no client library and patches nothing.
"""

import logging as _logging

from interposition._version import __version__
from interposition.errors import (
    CassetteLoadError,
    CassetteSaveError,
    ConfigurationError,
    InteractionNotFoundError,
    InteractionValidationError,
    InterpositionError,
    LiveResponderRequiredError,
)
from interposition.hooks import BrokerHooks, MissDecision
from interposition.matching import (
    InteractionIndex,
    PredicateMatcher,
    exact_key,
    fingerprint_key,
)
from interposition.models import (
    Cassette,
    Interaction,
    InteractionRequest,
    RequestFingerprint,
    ResponseChunk,
)
from interposition.services import (
    AppendableCassetteStore,
    Broker,
    BrokerMode,
    CassetteStore,
    LiveResponder,
)
from interposition.stores import (
    CassetteRecoveryWarning,
    DirectoryCassetteStore,
    JsonFileCassetteStore,
    JsonLinesCassetteStore,
    YamlFileCassetteStore,
    store_for_path,
)

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

__all__ = [
    "AppendableCassetteStore",
    "Broker",
    "BrokerHooks",
    "BrokerMode",
    "Cassette",
    "CassetteLoadError",
    "CassetteRecoveryWarning",
    "CassetteSaveError",
    "CassetteStore",
    "ConfigurationError",
    "DirectoryCassetteStore",
    "Interaction",
    "InteractionIndex",
    "InteractionNotFoundError",
    "InteractionRequest",
    "InteractionValidationError",
    "InterpositionError",
    "JsonFileCassetteStore",
    "JsonLinesCassetteStore",
    "LiveResponder",
    "LiveResponderRequiredError",
    "MissDecision",
    "PredicateMatcher",
    "RequestFingerprint",
    "ResponseChunk",
    "YamlFileCassetteStore",
    "__version__",
    "exact_key",
    "fingerprint_key",
    "store_for_path",
]
