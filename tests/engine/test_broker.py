"""Every behaviour of the Broker: modes, errors, matching, playback, hooks."""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interposition import (
    Broker,
    BrokerHooks,
    Cassette,
    CassetteSaveError,
    ConfigurationError,
    Interaction,
    InteractionNotFoundError,
    InteractionRequest,
    InterpositionError,
    JsonFileCassetteStore,
    JsonLinesCassetteStore,
    LiveResponderRequiredError,
    PredicateMatcher,
    ResponseChunk,
)
from interposition.hooks import annotate, record_timestamp, replace_request

from .helpers import (
    ENGINE_SETTINGS,
    chunks_of,
    datas,
    make_interaction,
    make_request,
)


class Live:
    """A live responder that answers ``live:<target>`` and logs each call."""

    def __init__(self) -> None:
        self.calls: list[InteractionRequest] = []

    def __call__(self, request: InteractionRequest) -> Iterator[ResponseChunk]:
        self.calls.append(request)
        yield ResponseChunk(data=f"live:{request.target}".encode(), sequence=0)
        yield ResponseChunk(data=b"end", sequence=1)


def cassette_of(*interactions: Interaction) -> Cassette:
    return Cassette(interactions=interactions)


POOL = [
    make_request("a"),
    make_request("b"),
    make_request("a", headers=[("h", "1")]),
    make_request("a", body=b"\xff"),
]
GET_42 = make_request("users/42")
GET_43 = make_request("users/43")
RECORDED_42 = make_interaction(GET_42, b"alice", b"!")


# --- modes -------------------------------------------------------------------


def test_replay_mode_is_the_default_and_replays_in_order() -> None:
    broker = Broker(cassette_of(RECORDED_42))
    assert broker.mode == "replay"
    assert datas(broker.replay(GET_42)) == [b"alice", b"!"]
    assert [c.sequence for c in broker.replay(GET_42)] == [0, 1]


def test_replay_miss_raises_not_found_with_request() -> None:
    broker = Broker(cassette_of(RECORDED_42))
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(GET_43))
    assert caught.value.request is GET_43
    assert isinstance(caught.value, InterpositionError)


def test_replay_mode_never_calls_the_live_responder() -> None:
    live = Live()
    broker = Broker(cassette_of(RECORDED_42), live_responder=live)
    with pytest.raises(InteractionNotFoundError):
        list(broker.replay(GET_43))
    assert live.calls == []


def test_miss_message_names_closest_recording_and_differences() -> None:
    recorded = make_interaction(
        make_request("users/42", headers=[("accept", "json")], body=b"q"), b"x"
    )
    other = make_interaction(make_request("zzz", protocol="grpc", action="x"), b"y")
    broker = Broker(cassette_of(other, recorded))
    request = make_request("users/42", headers=[("accept", "xml")], body=b"q")
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(request))
    error = caught.value
    assert error.closest == recorded.request
    assert error.differences == ("headers",)
    message = str(error)
    assert "api:query:users/42" in message
    assert "Closest recorded request: api:query:users/42" in message
    assert "differs in headers" in message

    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(make_request("users/43", body=b"other")))
    assert caught.value.differences == ("target", "headers", "body")
    assert "differs in target, headers, body" in str(caught.value)


def test_miss_on_empty_cassette_says_it_is_empty() -> None:
    with pytest.raises(InteractionNotFoundError, match="holds no recordings"):
        list(Broker(cassette_of()).replay(GET_42))


def test_record_mode_always_forwards_and_records() -> None:
    live = Live()
    broker = Broker(cassette_of(RECORDED_42), mode="record", live_responder=live)
    assert datas(broker.replay(GET_42)) == [b"live:users/42", b"end"]
    assert datas(broker.replay(GET_42)) == [b"live:users/42", b"end"]
    assert live.calls == [GET_42, GET_42]
    interactions = broker.cassette.interactions
    assert len(interactions) == 3
    assert interactions[0] == RECORDED_42
    assert interactions[1] == interactions[2]
    assert interactions[1].request == GET_42
    assert interactions[1].fingerprint == GET_42.fingerprint()
    assert datas(interactions[1].response_chunks) == [b"live:users/42", b"end"]


def test_record_mode_without_live_responder_raises() -> None:
    broker = Broker(cassette_of(RECORDED_42), mode="record")
    with pytest.raises(LiveResponderRequiredError) as caught:
        list(broker.replay(GET_42))
    assert caught.value.mode == "record"
    assert "live_responder" in str(caught.value)


def test_auto_mode_replays_hits_and_records_misses() -> None:
    live = Live()
    broker = Broker(cassette_of(RECORDED_42), mode="auto", live_responder=live)
    assert datas(broker.replay(GET_42)) == [b"alice", b"!"]
    assert live.calls == []
    assert datas(broker.replay(GET_43)) == [b"live:users/43", b"end"]
    assert live.calls == [GET_43]
    # Now recorded: replayed, not forwarded again.
    assert datas(broker.replay(GET_43)) == [b"live:users/43", b"end"]
    assert live.calls == [GET_43]
    assert len(broker.cassette.interactions) == 2


def test_auto_mode_without_live_responder_raises_not_found() -> None:
    broker = Broker(cassette_of(RECORDED_42), mode="auto")
    assert datas(broker.replay(GET_42)) == [b"alice", b"!"]
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(GET_43))
    assert caught.value.request is GET_43


def test_given_cassette_is_never_mutated() -> None:
    cassette = cassette_of(RECORDED_42)
    broker = Broker(cassette, mode="record", live_responder=Live())
    list(broker.replay(GET_43))
    assert cassette.interactions == (RECORDED_42,)
    assert broker.cassette is not cassette
    assert broker.cassette.interactions[0] == RECORDED_42


def test_replay_is_a_lazy_generator() -> None:
    live = Live()
    broker = Broker(cassette_of(), mode="record", live_responder=live)
    stream = broker.replay(GET_42)
    assert inspect.isgenerator(stream)
    assert live.calls == []
    assert broker.cassette.interactions == ()
    # Errors, too, are raised only when iterated.
    stream = Broker(cassette_of()).replay(GET_42)
    with pytest.raises(InteractionNotFoundError):
        next(stream)
    stream = Broker(cassette_of(), mode="record").replay(GET_42)
    with pytest.raises(LiveResponderRequiredError):
        next(stream)


def test_replay_yields_chunks_one_at_a_time() -> None:
    broker = Broker(cassette_of(make_interaction(GET_42, b"a", b"b", b"c")))
    stream = broker.replay(GET_42)
    assert next(stream).data == b"a"
    assert next(stream).data == b"b"
    assert next(stream).data == b"c"
    with pytest.raises(StopIteration):
        next(stream)


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "bogus"},
        {"mode": "REPLAY"},
        {"playback": "random"},
        {"match_on": 42},
        {"live_responder": "not callable"},
    ],
)
def test_invalid_configuration_raises(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Broker(cassette_of(), **options)  # type: ignore[arg-type]
    assert isinstance(caught.value, InterpositionError)
    assert isinstance(caught.value, ValueError)


def test_mode_error_names_the_valid_modes() -> None:
    with pytest.raises(ConfigurationError, match="'replay', 'record', 'auto'"):
        Broker(cassette_of(), mode="bogus")  # type: ignore[arg-type]


def test_properties_expose_the_configuration(tmp_path: Path) -> None:
    live = Live()
    store = JsonFileCassetteStore(tmp_path / "c.json")
    hooks = BrokerHooks()
    broker = Broker(
        cassette_of(), "auto", live, store, hooks=hooks
    )  # positional, as 0.4.0 allowed
    assert broker.mode == "auto"
    assert broker.live_responder is live
    assert broker.cassette_store is store
    assert broker.hooks is hooks


# --- matching ------------------------------------------------------------------


def test_first_match_wins_by_default() -> None:
    first = make_interaction(GET_42, b"first")
    second = make_interaction(GET_42, b"second")
    broker = Broker(cassette_of(first, second))
    for _ in range(3):
        assert datas(broker.replay(GET_42)) == [b"first"]
    assert broker.play_counts == (3, 0)
    assert broker.unplayed_interactions() == (second,)


def test_sequential_playback_then_miss_with_reason() -> None:
    recordings = [make_interaction(GET_42, f"r{n}".encode()) for n in range(3)]
    broker = Broker(cassette_of(*recordings), playback="sequential")
    assert [datas(broker.replay(GET_42)) for _ in range(3)] == [
        [b"r0"],
        [b"r1"],
        [b"r2"],
    ]
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(GET_42))
    message = str(caught.value)
    assert "all 3 recording(s) of this request were already played" in message
    assert "allow_playback_repeats=True" in message
    assert caught.value.request is GET_42
    assert broker.play_counts == (1, 1, 1)


def test_sequential_playback_is_per_request() -> None:
    broker = Broker(
        cassette_of(
            make_interaction(GET_42, b"a0"),
            make_interaction(GET_43, b"b0"),
            make_interaction(GET_42, b"a1"),
        ),
        playback="sequential",
    )
    assert datas(broker.replay(GET_43)) == [b"b0"]
    assert datas(broker.replay(GET_42)) == [b"a0"]
    assert datas(broker.replay(GET_42)) == [b"a1"]
    with pytest.raises(InteractionNotFoundError):
        list(broker.replay(GET_43))


def test_sequential_playback_repeats_last_when_allowed() -> None:
    broker = Broker(
        cassette_of(make_interaction(GET_42, b"r0"), make_interaction(GET_42, b"r1")),
        playback="sequential",
        allow_playback_repeats=True,
    )
    played = [datas(broker.replay(GET_42)) for _ in range(4)]
    assert played == [[b"r0"], [b"r1"], [b"r1"], [b"r1"]]
    assert broker.play_counts == (1, 3)


def test_sequential_auto_mode_records_after_recordings_run_out() -> None:
    live = Live()
    broker = Broker(
        cassette_of(make_interaction(GET_42, b"r0")),
        mode="auto",
        live_responder=live,
        playback="sequential",
    )
    assert datas(broker.replay(GET_42)) == [b"r0"]
    assert datas(broker.replay(GET_42)) == [b"live:users/42", b"end"]
    assert len(live.calls) == 1
    # The new recording was just served live; it is not served again.
    assert datas(broker.replay(GET_42)) == [b"live:users/42", b"end"]
    assert len(live.calls) == 2
    assert broker.play_counts == (1, 1, 1)


def test_play_counts_and_unplayed_interactions() -> None:
    a = make_interaction(make_request("a"), b"a")
    b = make_interaction(make_request("b"), b"b")
    c = make_interaction(make_request("c"), b"c")
    broker = Broker(cassette_of(a, b, c), mode="auto", live_responder=Live())
    assert broker.play_counts == (0, 0, 0)
    assert broker.unplayed_interactions() == (a, b, c)
    list(broker.replay(a.request))
    list(broker.replay(a.request))
    list(broker.replay(c.request))
    assert broker.play_counts == (2, 0, 1)
    assert broker.unplayed_interactions() == (b,)
    # A recording made through the broker counts as played once.
    list(broker.replay(make_request("d")))
    assert list(broker.play_counts) == [2, 0, 1, 1]
    assert broker.unplayed_interactions() == (b,)
    # A miss counts nothing.
    with pytest.raises(InteractionNotFoundError):
        list(Broker(broker.cassette).replay(make_request("zzz")))


def test_custom_key_function_ignores_what_it_leaves_out() -> None:
    def method_and_target(request: InteractionRequest) -> Hashable:
        return (request.action, request.target)

    recorded = make_interaction(
        make_request("users/42", headers=[("date", "Mon")], body=b"x"), b"hit"
    )
    broker = Broker(cassette_of(recorded), match_on=method_and_target)
    other_headers = make_request("users/42", headers=[("date", "Tue")], body=b"y")
    assert datas(broker.replay(other_headers)) == [b"hit"]
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(make_request("users/42", action="delete")))
    assert caught.value.closest == recorded.request
    assert "action" in caught.value.differences


def test_custom_key_function_with_sequential_playback() -> None:
    broker = Broker(
        cassette_of(
            make_interaction(make_request("t", body=b"1"), b"one"),
            make_interaction(make_request("t", body=b"2"), b"two"),
        ),
        match_on=lambda request: request.target,
        playback="sequential",
    )
    request = make_request("t", body=b"anything")
    assert datas(broker.replay(request)) == [b"one"]
    assert datas(broker.replay(request)) == [b"two"]


def test_custom_key_function_is_used_for_new_recordings() -> None:
    live = Live()
    broker = Broker(
        cassette_of(),
        mode="auto",
        live_responder=live,
        match_on=lambda request: request.target,
    )
    list(broker.replay(make_request("t", body=b"1")))
    assert datas(broker.replay(make_request("t", body=b"2"))) == [b"live:t", b"end"]
    assert len(live.calls) == 1


def test_predicate_matcher() -> None:
    def same_target_prefix(
        incoming: InteractionRequest, recorded: InteractionRequest
    ) -> bool:
        return incoming.target.startswith(recorded.target)

    broker = Broker(
        cassette_of(
            make_interaction(make_request("users/"), b"users"),
            make_interaction(make_request("users/4"), b"never: first match wins"),
            make_interaction(make_request("orders/"), b"orders"),
        ),
        match_on=PredicateMatcher(same_target_prefix),
    )
    assert datas(broker.replay(make_request("users/42"))) == [b"users"]
    assert datas(broker.replay(make_request("orders/1"))) == [b"orders"]
    with pytest.raises(InteractionNotFoundError):
        list(broker.replay(make_request("items/1")))
    assert broker.play_counts == (1, 0, 1)


def test_predicate_matcher_sequential() -> None:
    broker = Broker(
        cassette_of(
            make_interaction(make_request("a", body=b"1"), b"one"),
            make_interaction(make_request("a", body=b"2"), b"two"),
        ),
        match_on=PredicateMatcher(lambda i, r: i.target == r.target),
        playback="sequential",
    )
    request = make_request("a", body=b"?")
    assert datas(broker.replay(request)) == [b"one"]
    assert datas(broker.replay(request)) == [b"two"]
    with pytest.raises(InteractionNotFoundError):
        list(broker.replay(request))
    repeating = Broker(
        broker.cassette,
        match_on=PredicateMatcher(lambda i, r: i.target == r.target),
        playback="sequential",
        allow_playback_repeats=True,
    )
    assert [datas(repeating.replay(request)) for _ in range(3)] == [
        [b"one"],
        [b"two"],
        [b"two"],
    ]


# --- hooks -------------------------------------------------------------------


SECRET = make_request("me", headers=[("authorization", "Bearer s3cret")])


def redact(request: InteractionRequest) -> InteractionRequest:
    headers = tuple(
        (key, "REDACTED" if key == "authorization" else value)
        for key, value in request.headers
    )
    return request.model_copy(update={"headers": headers})


def test_before_match_and_before_record_give_redaction_consistent_matching(
    tmp_path: Path,
) -> None:
    live = Live()
    hooks = BrokerHooks(
        before_match=redact,
        before_record=lambda i: replace_request(i, redact(i.request)),
    )
    store = JsonFileCassetteStore(tmp_path / "c.json", create_if_missing=True)
    recorder = Broker.from_store(store, mode="auto", live_responder=live, hooks=hooks)
    assert datas(recorder.replay(SECRET)) == [b"live:me", b"end"]
    # The live responder saw the real credentials; the file never did.
    assert live.calls == [SECRET]
    assert "s3cret" not in store.path.read_text()
    (stored,) = store.load().interactions
    assert stored.request.headers == (("authorization", "REDACTED"),)
    assert stored.fingerprint == stored.request.fingerprint()
    # A later run with another token matches the redacted recording.
    player = Broker.from_store(store, hooks=BrokerHooks(before_match=redact))
    other_token = make_request("me", headers=[("authorization", "Bearer other")])
    assert datas(player.replay(other_token)) == [b"live:me", b"end"]
    # Without before_match it would not match.
    with pytest.raises(InteractionNotFoundError) as caught:
        list(Broker.from_store(store).replay(other_token))
    assert caught.value.differences == ("headers",)


def test_before_match_miss_reports_the_original_request() -> None:
    broker = Broker(cassette_of(), hooks=BrokerHooks(before_match=redact))
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(SECRET))
    assert caught.value.request is SECRET


def test_after_replay_sees_request_and_interaction() -> None:
    seen: list[tuple[InteractionRequest, Interaction]] = []
    broker = Broker(
        cassette_of(RECORDED_42),
        hooks=BrokerHooks(after_replay=lambda r, i: seen.append((r, i))),
    )
    stream = broker.replay(GET_42)
    assert seen == []
    assert next(stream).data == b"alice"
    assert seen == [(GET_42, RECORDED_42)]
    with pytest.raises(InteractionNotFoundError):
        list(broker.replay(GET_43))
    assert len(seen) == 1


def test_after_replay_is_not_called_for_live_responses() -> None:
    seen: list[InteractionRequest] = []
    broker = Broker(
        cassette_of(),
        mode="auto",
        live_responder=Live(),
        hooks=BrokerHooks(after_replay=lambda r, i: seen.append(r)),
    )
    list(broker.replay(GET_42))
    assert seen == []
    list(broker.replay(GET_42))
    assert seen == [GET_42]


@pytest.mark.parametrize("mode", ["replay", "auto"])
def test_on_miss_none_keeps_the_mode_default(mode: str) -> None:
    misses: list[InteractionRequest] = []

    def on_miss(request: InteractionRequest) -> None:
        misses.append(request)

    live = Live()
    broker = Broker(
        cassette_of(RECORDED_42),
        mode=mode,  # type: ignore[arg-type]
        live_responder=live,
        hooks=BrokerHooks(on_miss=on_miss),
    )
    assert datas(broker.replay(GET_42)) == [b"alice", b"!"]
    assert misses == []
    if mode == "replay":
        with pytest.raises(InteractionNotFoundError):
            list(broker.replay(GET_43))
        assert live.calls == []
    else:
        assert datas(broker.replay(GET_43)) == [b"live:users/43", b"end"]
        assert live.calls == [GET_43]
    assert misses == [GET_43]


def test_on_miss_raise_in_auto_mode_does_not_go_live() -> None:
    live = Live()
    broker = Broker(
        cassette_of(RECORDED_42),
        mode="auto",
        live_responder=live,
        hooks=BrokerHooks(on_miss=lambda request: "raise"),
    )
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(GET_43))
    assert caught.value.closest == GET_42
    assert live.calls == []
    assert len(broker.cassette.interactions) == 1


def test_on_miss_live_in_replay_mode_goes_live_and_records() -> None:
    live = Live()
    broker = Broker(
        cassette_of(),
        mode="replay",
        live_responder=live,
        hooks=BrokerHooks(on_miss=lambda request: "live"),
    )
    assert datas(broker.replay(GET_42)) == [b"live:users/42", b"end"]
    assert live.calls == [GET_42]
    assert [i.request for i in broker.cassette.interactions] == [GET_42]
    # Now recorded, replay mode replays it.
    assert datas(broker.replay(GET_42)) == [b"live:users/42", b"end"]
    assert len(live.calls) == 1


def test_on_miss_live_without_live_responder_raises_not_found() -> None:
    broker = Broker(cassette_of(), hooks=BrokerHooks(on_miss=lambda request: "live"))
    with pytest.raises(InteractionNotFoundError, match="holds no recordings"):
        list(broker.replay(GET_42))
    # With recordings, the error explains the miss like any other.
    broker = Broker(
        cassette_of(RECORDED_42), hooks=BrokerHooks(on_miss=lambda request: "live")
    )
    with pytest.raises(InteractionNotFoundError) as caught:
        list(broker.replay(GET_43))
    assert caught.value.closest == GET_42
    assert caught.value.differences == ("target",)
    assert "holds no recordings" not in str(caught.value)


def test_on_miss_synthetic_chunks_are_served_and_not_recorded(
    tmp_path: Path,
) -> None:
    store = JsonFileCassetteStore(tmp_path / "c.json", create_if_missing=True)
    live = Live()

    def synthetic(request: InteractionRequest) -> list[ResponseChunk]:
        return [ResponseChunk(data=b"404 " + request.target.encode(), sequence=0)]

    for mode in ("replay", "auto"):
        broker = Broker.from_store(
            store,
            mode=mode,
            live_responder=live,
            hooks=BrokerHooks(on_miss=synthetic),
        )
        assert datas(broker.replay(GET_43)) == [b"404 users/43"]
        assert broker.cassette.interactions == ()
    assert live.calls == []
    assert not store.path.exists()


def test_on_miss_synthetic_generator() -> None:
    def synthetic(request: InteractionRequest) -> Iterator[ResponseChunk]:
        yield from chunks_of(b"a", b"b")

    broker = Broker(cassette_of(), hooks=BrokerHooks(on_miss=synthetic))
    assert datas(broker.replay(GET_42)) == [b"a", b"b"]


def test_on_miss_bogus_string_is_a_configuration_error() -> None:
    broker = Broker(
        cassette_of(),
        hooks=BrokerHooks(on_miss=lambda request: "bogus"),  # type: ignore[arg-type, return-value]
    )
    with pytest.raises(ConfigurationError, match="'bogus'"):
        list(broker.replay(GET_42))


def test_before_record_redacts(tmp_path: Path) -> None:
    store = JsonLinesCassetteStore(tmp_path / "c.jsonl", create_if_missing=True)
    broker = Broker.from_store(
        store,
        mode="record",
        live_responder=Live(),
        hooks=BrokerHooks(
            before_record=lambda i: replace_request(i, redact(i.request))
        ),
    )
    list(broker.replay(SECRET))
    (recorded,) = broker.cassette.interactions
    assert recorded.request == redact(SECRET)
    assert store.load().interactions == (recorded,)
    assert b"s3cret" not in store.path.read_bytes()


def test_before_record_drop_serves_but_does_not_store(tmp_path: Path) -> None:
    store = JsonFileCassetteStore(tmp_path / "c.json", create_if_missing=True)
    after: list[Interaction] = []
    live = Live()
    broker = Broker.from_store(
        store,
        mode="auto",
        live_responder=live,
        hooks=BrokerHooks(
            before_record=lambda i: None if i.request.target == "drop" else i,
            after_record=after.append,
        ),
    )
    assert datas(broker.replay(make_request("drop"))) == [b"live:drop", b"end"]
    assert datas(broker.replay(make_request("keep"))) == [b"live:keep", b"end"]
    assert [i.request.target for i in broker.cassette.interactions] == ["keep"]
    assert [i.request.target for i in store.load().interactions] == ["keep"]
    assert [i.request.target for i in after] == ["keep"]
    # The dropped one was not recorded, so auto mode forwards it again.
    list(broker.replay(make_request("drop")))
    assert [r.target for r in live.calls] == ["drop", "keep", "drop"]
    assert broker.record(make_interaction(make_request("drop"))) is None


def test_before_record_annotates_with_a_timestamp(tmp_path: Path) -> None:
    moment = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    store = JsonFileCassetteStore(tmp_path / "c.json", create_if_missing=True)
    broker = Broker.from_store(
        store,
        mode="record",
        live_responder=Live(),
        hooks=BrokerHooks(before_record=record_timestamp(clock=lambda: moment)),
    )
    list(broker.replay(GET_42))
    (recorded,) = store.load().interactions
    assert recorded.metadata == (("recorded_at", "2025-01-02T03:04:05+00:00"),)
    assert broker.cassette.interactions == (recorded,)


def test_record_timestamp_default_clock_is_utc_now() -> None:
    stamp = record_timestamp("when")
    before = datetime.now(UTC)
    stamped = stamp(RECORDED_42)
    after = datetime.now(UTC)
    ((key, value),) = stamped.metadata
    assert key == "when"
    assert before <= datetime.fromisoformat(value) <= after


def test_annotate_replaces_existing_keys() -> None:
    interaction = make_interaction(GET_42, metadata=(("a", "1"), ("b", "2")))
    annotated = annotate(interaction, a="3", c="4")
    assert annotated.metadata == (("b", "2"), ("a", "3"), ("c", "4"))
    assert interaction.metadata == (("a", "1"), ("b", "2"))
    # Still a valid interaction that round-trips.
    assert Interaction.model_validate_json(annotated.model_dump_json()) == annotated


def test_replace_request_recomputes_the_fingerprint() -> None:
    replaced = replace_request(RECORDED_42, GET_43)
    assert replaced.fingerprint == GET_43.fingerprint()
    assert replaced.response_chunks == RECORDED_42.response_chunks
    assert Interaction.model_validate_json(replaced.model_dump_json()) == replaced


def test_after_record_runs_after_the_store_persisted(tmp_path: Path) -> None:
    store = JsonFileCassetteStore(tmp_path / "c.json", create_if_missing=True)
    persisted: list[int] = []
    recorded: list[Interaction] = []

    def after_record(interaction: Interaction) -> None:
        recorded.append(interaction)
        persisted.append(len(JsonFileCassetteStore(store.path).load().interactions))

    broker = Broker.from_store(
        store,
        mode="record",
        live_responder=Live(),
        hooks=BrokerHooks(
            before_record=record_timestamp(clock=lambda: datetime(2000, 1, 1)),
            after_record=after_record,
        ),
    )
    list(broker.replay(GET_42))
    list(broker.replay(GET_43))
    assert persisted == [1, 2]
    # It sees the interaction as stored (after before_record).
    assert recorded == list(broker.cassette.interactions)
    assert recorded[0].metadata == (("recorded_at", "2000-01-01T00:00:00"),)


def test_record_method_adds_and_persists(tmp_path: Path) -> None:
    store = JsonFileCassetteStore(tmp_path / "c.json", create_if_missing=True)
    broker = Broker.from_store(store)
    assert broker.record(RECORDED_42) == RECORDED_42
    assert datas(broker.replay(GET_42)) == [b"alice", b"!"]
    assert store.load().interactions == (RECORDED_42,)


# --- persistence -------------------------------------------------------------


class CountingStore:
    """A real JSON file store that counts the calls the Broker makes."""

    def __init__(self, path: Path) -> None:
        self.inner = JsonFileCassetteStore(path, create_if_missing=True)
        self.saves: list[int] = []
        self.appends = 0

    def load(self) -> Cassette:
        return self.inner.load()

    def save(self, cassette: Cassette) -> None:
        self.saves.append(len(cassette.interactions))
        self.inner.save(cassette)

    def append(self, interaction: Interaction) -> None:
        self.appends += 1
        self.inner.append(interaction)


class SaveOnlyStore:
    """A store without append(), like the 0.4.0 protocol's."""

    def __init__(self, path: Path) -> None:
        self.inner = JsonFileCassetteStore(path, create_if_missing=True)
        self.saves: list[int] = []

    def load(self) -> Cassette:
        return self.inner.load()

    def save(self, cassette: Cassette) -> None:
        self.saves.append(len(cassette.interactions))
        self.inner.save(cassette)


def test_append_is_used_after_the_first_save(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "c.json")
    broker = Broker(
        cassette_of(RECORDED_42),
        mode="record",
        live_responder=Live(),
        cassette_store=store,
    )
    for n in range(5):
        list(broker.replay(make_request(f"t{n}")))
    assert store.saves == [2]
    assert store.appends == 4
    assert store.load() == broker.cassette
    assert len(store.load().interactions) == 6


def test_from_store_appends_from_the_start(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "c.json")
    store.inner.save(cassette_of(RECORDED_42))
    broker = Broker.from_store(store, mode="record", live_responder=Live())
    for n in range(3):
        list(broker.replay(make_request(f"t{n}")))
    assert store.saves == []
    assert store.appends == 3
    assert store.load() == broker.cassette


def test_store_without_append_is_saved_after_each_recording(tmp_path: Path) -> None:
    store = SaveOnlyStore(tmp_path / "c.json")
    broker = Broker(
        cassette_of(), mode="record", live_responder=Live(), cassette_store=store
    )
    for n in range(3):
        list(broker.replay(make_request(f"t{n}")))
    assert store.saves == [1, 2, 3]
    assert store.load() == broker.cassette


def unwritable_store(tmp_path: Path) -> JsonFileCassetteStore:
    """A store whose path lies under a regular file: every write fails."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    return JsonFileCassetteStore(blocker / "c.json", create_if_missing=True)


@pytest.mark.parametrize("start", ["constructor", "from_store"])
def test_save_failure_stops_streaming_and_adds_nothing(
    tmp_path: Path, start: str
) -> None:
    live = Live()
    after: list[Interaction] = []
    hooks = BrokerHooks(after_record=after.append)
    if start == "constructor":
        store = unwritable_store(tmp_path)
        broker = Broker(
            cassette_of(), "record", live, cassette_store=store, hooks=hooks
        )
    else:
        store = JsonFileCassetteStore(tmp_path / "c.json")
        store.save(cassette_of())
        broker = Broker.from_store(
            store, mode="record", live_responder=live, hooks=hooks
        )
        # The file becomes a directory after the load: append() must fail.
        store.path.unlink()
        store.path.mkdir()
    stream = broker.replay(GET_42)
    with pytest.raises(CassetteSaveError) as caught:
        next(stream)  # not a single chunk is yielded
    assert caught.value.path == store.path
    assert caught.value.__cause__ is not None
    assert live.calls == [GET_42]
    assert broker.cassette.interactions == ()
    assert broker.play_counts == ()
    assert after == []
    # auto mode: the miss is still a miss afterwards.
    auto = Broker(cassette_of(), "auto", live, cassette_store=store)
    with pytest.raises(CassetteSaveError):
        list(auto.replay(GET_42))
    with pytest.raises(InteractionNotFoundError):
        list(Broker(auto.cassette).replay(GET_42))


def test_broker_cassette_is_a_valid_snapshot(tmp_path: Path) -> None:
    broker = Broker(cassette_of(), mode="record", live_responder=Live())
    list(broker.replay(GET_42))
    snapshot = broker.cassette
    list(broker.replay(GET_43))
    assert len(snapshot.interactions) == 1
    assert len(broker.cassette.interactions) == 2
    # The snapshot serializes and validates like any cassette.
    text = broker.cassette.model_dump_json(indent=2)
    assert Cassette.model_validate_json(text) == broker.cassette
    assert broker.cassette.find_interaction(GET_43.fingerprint()) is not None


# --- playback properties ---------------------------------------------------------


@ENGINE_SETTINGS
@given(
    recorded=st.lists(st.sampled_from(POOL), max_size=12),
    asked=st.lists(st.sampled_from(POOL), max_size=12),
)
def test_playback_orders_match_a_model(
    recorded: list[InteractionRequest], asked: list[InteractionRequest]
) -> None:
    """First-match and sequential playback against a simple model of them."""
    interactions = [
        make_interaction(request, f"{position}".encode())
        for position, request in enumerate(recorded)
    ]
    cassette = Cassette(interactions=tuple(interactions))
    first = Broker(cassette)
    sequential = Broker(cassette, playback="sequential")
    repeating = Broker(cassette, playback="sequential", allow_playback_repeats=True)
    served: dict[InteractionRequest, int] = {}
    for request in asked:
        positions = [p for p, r in enumerate(recorded) if r == request]
        nth = served.get(request, 0)
        served[request] = nth + 1
        if not positions:
            for broker in (first, sequential, repeating):
                with pytest.raises(InteractionNotFoundError):
                    list(broker.replay(request))
            continue
        assert datas(first.replay(request)) == [f"{positions[0]}".encode()]
        if nth < len(positions):
            assert datas(sequential.replay(request)) == [f"{positions[nth]}".encode()]
        else:
            with pytest.raises(InteractionNotFoundError, match="already played"):
                list(sequential.replay(request))
        expected = positions[min(nth, len(positions) - 1)]
        assert datas(repeating.replay(request)) == [f"{expected}".encode()]
    # Play counts: first-match plays only the first of each request.
    expected_first = [0] * len(recorded)
    for request, times in served.items():
        positions = [p for p, r in enumerate(recorded) if r == request]
        if positions:
            expected_first[positions[0]] += times
    assert list(first.play_counts) == expected_first
    unplayed = [interactions[p] for p, count in enumerate(expected_first) if not count]
    assert list(first.unplayed_interactions()) == unplayed


def test_sequential_playback_prefers_an_equal_second_key() -> None:
    def target(request: InteractionRequest) -> Hashable:
        return request.target

    def body(request: InteractionRequest) -> Hashable:
        return request.body

    x, y = make_request("q", body=b"x"), make_request("q", body=b"y")
    broker = Broker(
        cassette_of(
            make_interaction(x, b"x0"),
            make_interaction(y, b"y0"),
            make_interaction(x, b"x1"),
        ),
        match_on=target,
        playback="sequential",
        prefer=body,
    )
    assert datas(broker.replay(y)) == [b"y0"]  # out of order: its own body
    assert datas(broker.replay(x)) == [b"x0"]
    assert datas(broker.replay(y)) == [b"x1"]  # none left with y: the next
    with pytest.raises(InteractionNotFoundError):
        list(broker.replay(x))
    assert broker.play_counts == (1, 1, 1)


def test_prefer_changes_nothing_for_uniform_keys_or_first_playback() -> None:
    calls: list[bytes] = []

    def body(request: InteractionRequest) -> Hashable:
        calls.append(request.body)
        return request.body

    recordings = [make_interaction(GET_42, f"r{n}".encode()) for n in range(3)]
    sequential = Broker(cassette_of(*recordings), playback="sequential", prefer=body)
    assert [datas(sequential.replay(GET_42)) for _ in range(3)] == [
        [b"r0"],
        [b"r1"],
        [b"r2"],
    ]
    assert len(calls) == 3  # each recording's value once, then the key is known
    first = Broker(cassette_of(*recordings), prefer=body)
    assert datas(first.replay(GET_42)) == [b"r0"]
    assert len(calls) == 3
