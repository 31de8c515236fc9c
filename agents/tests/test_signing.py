import time

import pytest

from agents.network import signing
from agents.tests.fake_gateway import isolated_redis  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("isolated_redis")


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.A2A_SIGNING_KEY = "current-key"
    settings.A2A_SIGNING_KEY_PREVIOUS = "previous-key"


def _envelope(**overrides):
    envelope = signing.build_envelope(
        intent="booking.request",
        from_agent_id="consumer-1",
        to_agent_id="venue-la-brisa",
        payload={"party_size": 2, "note": "window seat — merci"},
    )
    envelope.update(overrides)
    return envelope


def test_a_signed_envelope_verifies_and_its_signature_is_the_documented_hmac():
    import hashlib
    import hmac
    import json

    signed = signing.sign_envelope(_envelope())
    body = {k: v for k, v in signed.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    expected = hmac.new(b"current-key", f"{signed['timestamp']}.".encode() + canonical, hashlib.sha256).hexdigest()
    assert signed["signature"] == expected
    assert signing.verify_envelope(signed) == signed


def test_key_order_on_the_wire_does_not_matter():
    signed = signing.sign_envelope(_envelope())
    reordered = dict(reversed(list(signed.items())))
    signing.verify_envelope(reordered, remember=False)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e["payload"].update(party_size=20),
        lambda e: e.update(to="venue-elsewhere"),
        lambda e: e.update(timestamp=e["timestamp"] - 1),
        lambda e: e.update(signature="0" * 64),
    ],
    ids=["payload", "recipient", "timestamp", "signature"],
)
def test_it_rejects_a_tampered_envelope(tamper):
    signed = signing.sign_envelope(_envelope())
    tamper(signed)
    with pytest.raises(signing.BadSignature):
        signing.verify_envelope(signed)


def test_it_rejects_a_stale_timestamp_even_when_correctly_signed():
    signed = signing.sign_envelope(_envelope(), timestamp=int(time.time()) - 301)
    with pytest.raises(signing.StaleTimestamp):
        signing.verify_envelope(signed)
    # just inside the window passes
    signing.verify_envelope(signing.sign_envelope(_envelope(), timestamp=int(time.time()) - 290))


def test_it_rejects_a_timestamp_from_the_future_beyond_the_clock_skew():
    with pytest.raises(signing.FutureTimestamp):
        signing.verify_envelope(signing.sign_envelope(_envelope(), timestamp=int(time.time()) + 120))
    signing.verify_envelope(signing.sign_envelope(_envelope(), timestamp=int(time.time()) + 10))


def test_it_rejects_a_replayed_envelope():
    signed = signing.sign_envelope(_envelope())
    signing.verify_envelope(signed)
    with pytest.raises(signing.ReplayedEnvelope):
        signing.verify_envelope(dict(signed))


def test_a_forged_copy_does_not_burn_the_genuine_envelope_id():
    genuine = signing.sign_envelope(_envelope())
    forged = dict(genuine, payload={"party_size": 99})
    with pytest.raises(signing.BadSignature):
        signing.verify_envelope(forged)
    signing.verify_envelope(genuine)


def test_during_rotation_the_previous_key_still_verifies_but_never_signs(settings):
    old = signing.sign_envelope(_envelope(), key="previous-key")
    signing.verify_envelope(old)
    assert (
        signing.sign_envelope(_envelope(), timestamp=1)["signature"]
        != signing.sign_envelope(_envelope(), timestamp=1, key="previous-key")["signature"]
    )


def test_an_envelope_signed_with_an_unknown_key_is_rejected(settings):
    stranger = signing.sign_envelope(_envelope(), key="someone-elses-key")
    with pytest.raises(signing.BadSignature):
        signing.verify_envelope(stranger)
    # once rotation is over, the old key stops verifying too
    settings.A2A_SIGNING_KEY_PREVIOUS = ""
    with pytest.raises(signing.BadSignature):
        signing.verify_envelope(signing.sign_envelope(_envelope(), key="previous-key"))


@pytest.mark.parametrize(
    "envelope",
    [
        None,
        [],
        {"envelope_id": "x"},
        {
            "envelope_id": "x",
            "protocol": "p",
            "intent": "i",
            "from": "a",
            "to": "b",
            "timestamp": 1,
            "payload": ["not", "an", "object"],
            "signature": "00",
        },
    ],
    ids=["null", "array", "missing-fields", "payload-not-object"],
)
def test_it_refuses_malformed_envelopes_with_a_reason(envelope):
    with pytest.raises(signing.EnvelopeMalformed):
        signing.verify_envelope(envelope)


def test_a_boolean_timestamp_is_malformed():
    signed = signing.sign_envelope(_envelope())
    signed["timestamp"] = True
    with pytest.raises(signing.EnvelopeMalformed):
        signing.verify_envelope(signed)
