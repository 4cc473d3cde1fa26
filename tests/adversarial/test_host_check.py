"""The Key Vault host check cannot be talked past: the host it checks is the host the token goes to.

A bearer token for Key Vault is only ever sent to a host the check accepted, so a URL that
one parser reads as ``x.vault.azure.net`` and the transport as ``localhost`` would hand the
token to whoever listens there. Every URL below was accepted before the check parsed the
URL's whole grammar; the property test sends every URL the check accepts through the real
SDK clients and reads the request the transport receives with each HTTP stack's own parser
(urllib3 for requests, yarl for aiohttp).
"""

from __future__ import annotations

from typing import Any

import pytest
import urllib3.util
import yarl
from azure.core.exceptions import ServiceRequestError
from hypothesis import event, given
from hypothesis import strategies as st

import safevault
import safevault.aio
from adversarial._profile import examples
from safevault import VaultConfigurationError
from safevault.testing import FakeVault
from transports import Wrapping

KEY_VAULT_SUFFIXES = (".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net")

BYPASSES = [
    # each of these was accepted, and the first sent the Key Vault token to localhost
    "https://localhost\\.vault.azure.net",
    "https://evil.com%2f.vault.azure.net",
    "https://evil.com;.vault.azure.net",
    "https://evil.com .vault.azure.net",
    "https://evil.com%00.vault.azure.net",
    "https://evil.com\x00.vault.azure.net",
    "https://evil.com\t.vault.azure.net",
    "https://.vault.azure.net",
    "https://x.vault.azure.net\\@evil.com",
    # and their relatives
    "https://localhost\\.vault.azure.net:8443",
    "https://evil.com\\.vault.azure.net/",
    "https://evil.com#.vault.azure.net",
    "https://evil.com?.vault.azure.net",
    "https://evil.com/.vault.azure.net",
    "https://x.vault.azure.net@evil.com",
    "https://evil.com:443@x.vault.azure.net",
    "https://evil.com\r\n.vault.azure.net",
    "https://evil\u3002com.vault.azure.net",  # ideographic full stop: a dot after IDNA
    "https://\uff58.vault.azure.net",  # fullwidth x
    "https://x..vault.azure.net",
    "https://-x.vault.azure.net",
    "https://x-.vault.azure.net",
    "https://x.vault.azure.net.",
    "https://x.vault.azure.net:0",
    "https://x.vault.azure.net:65536",
    "https://x.vault.azure.net:99999",
    "https://x.vault.azure.net:",
    "https://x.vault.azure.net:443x",
    "https://[::1].vault.azure.net",
    "https:\\\\x.vault.azure.net",
    "https:/x.vault.azure.net",
]


class Recorder(Wrapping):
    """A transport that records what it was asked to send, then fails the request."""

    def __init__(self) -> None:
        super().__init__(None)
        self.sent: list[tuple[str, str | None]] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent.append((request.url, request.headers.get("Authorization")))
        raise ServiceRequestError("recorded, not sent")


@pytest.mark.parametrize("allow_any_host", [False, True])
@pytest.mark.parametrize("url", BYPASSES)
def test_bypass_refused_before_any_request(url: str, allow_any_host: bool) -> None:
    fake = FakeVault()
    transport = Recorder()
    with pytest.raises(VaultConfigurationError):
        safevault.Vault(
            url, credential=fake.credential, transport=transport, allow_any_host=allow_any_host
        )
    with pytest.raises(VaultConfigurationError):
        safevault.aio.Vault(
            url,
            credential=fake.async_credential,
            transport=fake.async_transport,
            allow_any_host=allow_any_host,
        )
    assert transport.sent == []
    assert fake.credential.scopes == [], "a token was requested for a refused URL"


def test_refusal_messages_never_echo_the_url() -> None:
    """A URL may be pasted with a key in it: the message names the problem, not the URL."""
    with pytest.raises(VaultConfigurationError) as info:
        safevault.Vault("https://user:Zq-key-ghijklmnop@x.vault.azure.net")
    assert "Zq-key" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://myhsm.managedhsm.azure.net",
        "https://myhsm.managedhsm.azure.net/",
        "https://MyHsm.ManagedHsm.Azure.Net:443",
        "https://myhsm.managedhsm.azure.cn",
        "https://myhsm.managedhsm.usgovcloudapi.net",
    ],
)
@pytest.mark.parametrize("allow_any_host", [False, True])
def test_managed_hsm_refused_even_with_allow_any_host(url: str, allow_any_host: bool) -> None:
    """Managed HSM is out of scope, and its tokens are for another audience: a vault token
    must never be sent there, so its URLs are refused whatever allow_any_host says."""
    fake = FakeVault()
    with pytest.raises(VaultConfigurationError, match="Managed HSM"):
        safevault.Vault(url, credential=fake.credential, allow_any_host=allow_any_host)
    assert fake.credential.scopes == []


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://myvault.vault.azure.net", "myvault.vault.azure.net"),
        ("https://MyVault.Vault.Azure.Net/", "myvault.vault.azure.net"),
        ("https://my-vault-01.vault.azure.net:443", "my-vault-01.vault.azure.net"),
        ("https://x.vault.azure.cn", "x.vault.azure.cn"),
        ("https://x.vault.usgovcloudapi.net", "x.vault.usgovcloudapi.net"),
        ("  https://x.vault.azure.net  ", "x.vault.azure.net"),
    ],
)
def test_real_key_vault_urls_still_accepted(url: str, host: str) -> None:
    vault = safevault.Vault(url, credential=FakeVault().credential)
    assert vault.vault_url == f"https://{host}"
    vault.close()


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1:8443", "https://localhost:8443", "https://[::1]:8443"]
)
def test_emulator_hosts_with_allow_any_host(url: str) -> None:
    vault = safevault.Vault(url, credential=FakeVault().credential, allow_any_host=True)
    assert vault.vault_url == url
    vault.close()


# -- the property: an accepted URL is sent to the host that was checked -----------------------

PIECES = [
    "x",
    "evil",
    "localhost",
    "127.0.0.1",
    "a-b",
    "com",
    ".",
    "..",
    "-",
    "\\",
    "/",
    "@",
    ":",
    ":8443",
    ";",
    "#",
    "?",
    "%",
    "%2f",
    "%2e",
    "%00",
    " ",
    "\t",
    "\x00",
    "\r\n",
    "[",
    "]",
    "[::1]",
    "\u3002",
    "\uff0e",
    "\u0131",  # dotless i
    "\u212a",  # Kelvin sign (folds to k)
    ".vault.azure.net",
    ".vault.azure.cn",
    ".vault.usgovcloudapi.net",
    ".managedhsm.azure.net",
    ".vault.azure.net.evil.com",
    "vault.azure.net",
]
SCHEMES = ["https://", "HTTPS://", "https:/", "https:\\\\", "https:///", "http://", ""]


LABELS = ["x", "myvault", "evil", "localhost", "127", "0", "1", "a-b", "com", "vault"]
SUFFIXES = ["", *KEY_VAULT_SUFFIXES, ".vault.azure.net", ".managedhsm.azure.net", ".evil.com"]


@st.composite
def urls(draw: st.DrawFn) -> str:
    """A URL built like a vault's; half of them with up to three tricky pieces anywhere."""
    host = ".".join(draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=3)))
    host += draw(st.sampled_from(SUFFIXES))
    if draw(st.booleans()):
        return "https://" + host + draw(st.sampled_from(["", "/", ":443", ":8443", ":8443/"]))
    url = draw(st.sampled_from(SCHEMES)) + host
    url += draw(st.sampled_from(["", "/", ":443", ":8443", ":8443/", "/x", "?a", "#f", ":0"]))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(url)))
        url = url[:at] + draw(st.sampled_from(PIECES)) + url[at:]
    return url


def _hosts_the_transports_see(url: str) -> set[str | None]:
    """The host each HTTP stack connects to for ``url``."""
    seen: set[str | None] = set()
    seen.add((urllib3.util.parse_url(url).host or "").lower())  # requests
    seen.add((yarl.URL(url).host or "").lower())  # aiohttp
    return seen


@examples(ci=600, full=30_000)
@given(url=urls(), allow_any_host=st.booleans())
def test_an_accepted_url_is_sent_only_to_the_checked_host(url: str, allow_any_host: bool) -> None:
    fake = FakeVault()
    transport = Recorder()
    try:
        vault = safevault.Vault(
            url,
            credential=fake.credential,
            transport=transport,
            allow_any_host=allow_any_host,
            retry_total=0,
        )
    except VaultConfigurationError:
        event("refused")
        return
    event("accepted")
    checked = vault._location.host
    try:
        with pytest.raises(ServiceRequestError):
            vault.get_secret("probe")
    finally:
        vault.close()
    assert transport.sent, "the read never reached the transport"
    for sent_url, _ in transport.sent:
        assert _hosts_the_transports_see(sent_url) == {checked}, (url, sent_url)
    assert not checked.endswith(".managedhsm.azure.net")
    if not allow_any_host:
        suffix = next(s for s in KEY_VAULT_SUFFIXES if checked.endswith(s))
        label = checked[: -len(suffix)]
        assert label and "." not in label, checked
