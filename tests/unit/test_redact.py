from ecs_field.redact import redact_argv, redact_text, redact_url


def test_query_and_userinfo_are_dropped() -> None:
    assert redact_url("https://user:pw@orch.example:8443/isos/a.iso?sig=SECRET#x") == (
        "https://orch.example:8443/isos/a.iso"
    )


def test_text_and_argv_redact_every_url() -> None:
    text = "fetch http://h/a?t=1 then https://u:p@h2/b?x=2"
    assert "t=1" not in redact_text(text) and "u:p" not in redact_text(text)
    assert redact_argv(["images", "download", "https://h/i.iso?token=S"]) == "images download https://h/i.iso"


def test_unparsable_url_is_not_echoed() -> None:
    assert redact_url("http://[bad/x?s=1") == "<unparsable URL>"
