"""Outgoing e-mail (sparring.integrations.email) against a local SMTP sink on loopback: off unless configured,
messages delivered with their headers, a login, one refused recipient not stopping the others, and a server that
cannot be reached giving a clear MailError."""

from __future__ import annotations

import pytest

from sparring.integrations.email import Mail, Mailer, MailError, SmtpConfig
from sparring.settings import Settings
from sparring.testing.smtp_sink import SmtpSink, _free_port


def test_email_is_off_unless_a_host_and_a_from_address_are_set() -> None:
    assert SmtpConfig.from_settings(Settings()) is None
    assert SmtpConfig.from_settings(Settings(smtp_host="127.0.0.1")) is None
    config = SmtpConfig.from_settings(Settings(smtp_host="mail.test", smtp_port=2525, smtp_from="s@acme.test",
                                               smtp_user="u", smtp_password="p", smtp_starttls=True))
    assert config == SmtpConfig("mail.test", 2525, "s@acme.test", "u", "p", True, 10.0)


def test_the_environment_configures_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPARRING_SMTP_PORT", "2525")
    monkeypatch.setenv("SPARRING_SMTP_FROM", "sparring@acme.test")
    config = SmtpConfig.from_settings(Settings())
    assert config is not None and (config.host, config.port, config.sender) == ("127.0.0.1", 2525,
                                                                                "sparring@acme.test")


def test_messages_reach_the_sink_and_a_refused_recipient_does_not_stop_the_rest() -> None:
    with SmtpSink(refuse=("gone@acme.test",)) as sink:
        mailer = Mailer(SmtpConfig(sink.host, sink.port, "sparring@acme.test"))
        results = mailer.send_all([Mail("lee@acme.test", "Practice reminder: Sprint", "Do two reps.\n"),
                                   Mail("gone@acme.test", "Practice reminder: Sprint", "x"),
                                   Mail("kim@acme.test", "Bad\nSubject: injected", "x"),
                                   Mail("kim@acme.test", "Practice reminder: Sprint", "Do one rep.\n")])
    assert results[0] is None and results[3] is None
    assert results[1] is not None and "550" in results[1]
    assert results[2] == "a recipient or subject holds a line break"
    assert [(m["From"], m["To"], m["Subject"]) for m in sink.messages] == [
        ("sparring@acme.test", "lee@acme.test", "Practice reminder: Sprint"),
        ("sparring@acme.test", "kim@acme.test", "Practice reminder: Sprint")]
    assert sink.messages[0].get_payload(decode=True).strip() == b"Do two reps."
    assert sink.messages[0]["Message-ID"].endswith("@acme.test>")


def test_a_login_is_used_when_configured() -> None:
    with SmtpSink(login=("sparring", "s3cret")) as sink:
        Mailer(SmtpConfig(sink.host, sink.port, "sparring@acme.test", "sparring", "s3cret")).send(
            Mail("lee@acme.test", "Hi", "Body"))
        with pytest.raises(MailError, match=r"SMTP server 127\.0\.0\.1"):
            Mailer(SmtpConfig(sink.host, sink.port, "sparring@acme.test", "sparring", "wrong")).send(
                Mail("lee@acme.test", "Hi", "Body"))
    assert sink.logins == ["sparring"] and len(sink.messages) == 1


def test_an_unreachable_server_is_a_clear_error() -> None:
    port = _free_port()  # nothing listens there
    with pytest.raises(MailError, match=rf"^SMTP server 127\.0\.0\.1:{port}: "):
        Mailer(SmtpConfig("127.0.0.1", port, "sparring@acme.test", timeout=2)).send(Mail("a@b.test", "s", "b"))
    assert Mailer(SmtpConfig("127.0.0.1", port, "x@y.test")).send_all([]) == []
