"""The hub's addresses and credentials: from a file or the environment, never the command line; mistakes in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from runofshow.errors import UserError
from runofshow.sync.hub.connect import HubCredentials, hub_servers, split_room_url


def test_a_list_of_servers_is_split_and_given_the_default_port() -> None:
    assert hub_servers("nats://a:4223, b ,tls://[::1]") == ["nats://a:4223", "nats://b:4222", "tls://[::1]:4222"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://a:4222", "not a hub address"),
        ("nats://a:port", "port must be a number"),
        ("nats://me:secret@a:4222", "credentials do not go in the address"),
        ("nats://a:4222/room", "no path"),
        (" , ", "no hub address"),
    ],
)
def test_a_bad_hub_address_is_one_line(url: str, words: str) -> None:
    with pytest.raises(UserError, match=words) as caught:
        hub_servers(url)
    assert "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_a_room_url_names_the_hub_and_the_room() -> None:
    assert split_room_url("nats://a:4222,nats://b:4222/main-hall") == ("nats://a:4222,nats://b:4222", "main-hall")
    with pytest.raises(UserError, match="give the room"):
        split_room_url("nats://a:4222")
    with pytest.raises(UserError, match="room 'a b'"):
        split_room_url("nats://a:4222/a b")


def test_a_creds_file_a_seed_and_a_toml_file_are_each_understood(tmp_path: Path) -> None:
    creds = tmp_path / "user.creds"
    creds.write_text("-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n")
    assert HubCredentials.from_file(creds) == HubCredentials(creds_file=str(creds))
    seed = tmp_path / "seed.nk"
    seed.write_text("SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU\n")
    assert HubCredentials.from_file(seed).nkey_seed == seed.read_text().strip()
    table = tmp_path / "hub.toml"
    table.write_text('user = "room-a"\npassword = "s3cret"\nca = "ca.pem"\n')
    found = HubCredentials.from_file(table)
    assert (found.user, found.password, found.ca) == ("room-a", "s3cret", str(tmp_path / "ca.pem"))
    assert "s3cret" not in repr(found)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("user = 'a'\n", "both user and password"),
        ("colour = 'red'\n", "unknown key 'colour'"),
        ("user = 3\npassword = 'x'\n", "must be a non-empty string"),
        ("this is = not toml [", "not a hub credentials file"),
        ("", "no credentials"),
    ],
)
def test_a_bad_credentials_file_is_one_line(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    with pytest.raises(UserError, match=words) as caught:
        HubCredentials.from_file(path)
    assert "\n" not in str(caught.value)


def test_a_missing_credentials_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read the hub credentials"):
        HubCredentials.from_file(tmp_path / "nowhere")


def test_the_environment_gives_credentials_or_none(tmp_path: Path) -> None:
    assert HubCredentials.from_environment({}) is None
    assert HubCredentials.from_environment({"RUNOFSHOW_HUB_USER": "u", "RUNOFSHOW_HUB_PASSWORD": "p"}) == (
        HubCredentials(user="u", password="p")
    )
    with pytest.raises(UserError, match="both RUNOFSHOW_HUB_USER"):
        HubCredentials.from_environment({"RUNOFSHOW_HUB_USER": "u"})
    seed = tmp_path / "seed"
    seed.write_text("not a seed")
    with pytest.raises(UserError, match="not an nkey user seed"):
        HubCredentials.from_environment({"RUNOFSHOW_HUB_NKEY": str(seed)})
    creds = tmp_path / "hub.toml"
    creds.write_text('user = "a"\npassword = "b"\n')
    assert HubCredentials.from_environment({"RUNOFSHOW_HUB_CREDS": str(creds)}) == HubCredentials(
        user="a", password="b"
    )


def test_tls_files_that_cannot_be_used_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    creds = HubCredentials(cert=str(tmp_path / "cert.pem"), key=str(tmp_path / "key.pem"))
    with pytest.raises(UserError, match="the hub's TLS files cannot be used") as caught:
        creds.tls()
    assert "\n" not in str(caught.value)
    assert HubCredentials(user="a", password="b").tls() is None
