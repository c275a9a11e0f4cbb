"""A receiver can tell a webhook from OneWindow from anything else."""

from __future__ import annotations

from onewindow.webhooks.delivery import backoff, sign, verify

SECRET = "whsec_test"
BODY = b'{"event_id":"e1","type":"DossierOpened"}'
T = 1_750_000_000


def test_a_signed_delivery_verifies_with_the_subscription_secret() -> None:
    header = sign(SECRET, T, BODY)

    assert header.startswith(f"t={T},v1=")
    assert verify(SECRET, header, BODY, now=T + 10)


def test_a_tampered_body_does_not_verify() -> None:
    header = sign(SECRET, T, BODY)

    assert not verify(SECRET, header, BODY.replace(b"e1", b"e2"), now=T)


def test_another_secret_does_not_verify() -> None:
    header = sign(SECRET, T, BODY)

    assert not verify("whsec_other", header, BODY, now=T)


def test_a_stale_signature_is_refused_even_when_the_mac_is_right() -> None:
    header = sign(SECRET, T, BODY)

    assert verify(SECRET, header, BODY, now=T + 300)
    assert not verify(SECRET, header, BODY, now=T + 301)
    assert not verify(SECRET, header, BODY, tolerance_s=60, now=T - 61)


def test_a_timestamp_changed_after_signing_does_not_verify() -> None:
    mac = sign(SECRET, T, BODY).split(",v1=")[1]

    assert not verify(SECRET, f"t={T + 1},v1={mac}", BODY, now=T)


def test_a_garbled_header_does_not_verify() -> None:
    for header in ("", "v1=abc", f"t=soon,v1={sign(SECRET, T, BODY)}", f"t={T}", "t=1,v1=é"):
        assert not verify(SECRET, header, BODY, now=T)


def test_retries_wait_twice_as_long_each_time_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(12).total_seconds() == 3600
    assert backoff(40).total_seconds() == 3600
