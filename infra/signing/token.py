"""The official's PKCS#11 token: a session opened for each signature, its failures named.

The private key never leaves the token: pyHanko's PKCS11Signer asks the token to sign the
signed attributes' digest (C_Sign) and reads only the certificate. A session is opened and
logged into for each signature and closed after it, so a token pulled out and put back, or
its PIN changed, is seen at the next request; signatures on one token go one at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from asn1crypto.x509 import Certificate
from pkcs11 import exceptions as p11
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

from digitization.extract_ports import SigningUnavailableError
from domain.rules import Code

_LOCKED = (p11.PinIncorrect, p11.PinLocked, p11.PinExpired, p11.PinInvalid, p11.PinLenRange)
_ABSENT = (p11.TokenNotPresent, p11.TokenNotRecognised, p11.DeviceRemoved, p11.SlotIDInvalid)


@dataclass(frozen=True)
class TokenSettings:
    """Where the key is: the PKCS#11 module, the token's label, the PIN, the key's label."""

    module: Path | None  # None: not configured (HOTICH_SIGNING_PKCS11_MODULE)
    token_label: str
    pin: str | None
    key_label: str

    @classmethod
    def with_pin_file(
        cls,
        module: Path | None,
        token_label: str,
        pin_file: Path | None,
        pin: str | None,
        key_label: str,
    ) -> TokenSettings:
        if pin is None and pin_file is not None and pin_file.is_file():
            pin = pin_file.read_text(encoding="utf-8").strip()
        return cls(module, token_label, pin, key_label)


class Pkcs11Token:
    """Opens sessions on the token and names why one cannot be had."""

    def __init__(self, settings: TokenSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    @contextmanager
    def signer(self, other_certs: list[Certificate] | None = None) -> Iterator[PKCS11Signer]:
        """A pyHanko signer on a fresh, logged-in session (SigningUnavailableError if not)."""
        s = self.settings
        with self._lock:
            session = self._open()
            try:
                signer = PKCS11Signer(
                    session,
                    cert_label=s.key_label,
                    key_label=s.key_label,
                    bulk_fetch=False,
                    other_certs_to_pull=(),
                    ca_chain=other_certs or [],
                )
                try:
                    signer.signing_cert  # noqa: B018 - reads the certificate now, names its absence
                except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned, p11.PKCS11Error) as e:
                    # pyHanko: "Could not find certificate with label ..."
                    raise self.key_absent() from e
                yield signer
            except p11.PKCS11Error as e:
                raise SigningUnavailableError(
                    Code.SIGNING_FAILED, token=s.token_label, reason=type(e).__name__
                ) from e
            finally:
                session.close()

    def key_absent(self) -> SigningUnavailableError:
        return SigningUnavailableError(
            Code.SIGNING_KEY_ABSENT, token=self.settings.token_label, label=self.settings.key_label
        )

    def _open(self) -> pkcs11.Session:
        s = self.settings
        if s.module is None or not s.module.is_file():
            where = "HOTICH_SIGNING_PKCS11_MODULE is not set" if s.module is None else s.module
            raise SigningUnavailableError(
                Code.SIGNING_TOKEN_ABSENT,
                token=s.token_label,
                reason=f"no PKCS#11 module ({where})",
            )
        if s.pin is None:
            raise SigningUnavailableError(
                Code.SIGNING_TOKEN_LOCKED, token=s.token_label, reason="no PIN is configured"
            )
        try:
            return open_pkcs11_session(
                str(s.module), token_criteria=TokenCriteria(label=s.token_label), user_pin=s.pin
            )
        except _LOCKED as e:
            raise SigningUnavailableError(
                Code.SIGNING_TOKEN_LOCKED, token=s.token_label, reason=type(e).__name__
            ) from e
        except _ABSENT as e:
            raise SigningUnavailableError(
                Code.SIGNING_TOKEN_ABSENT, token=s.token_label, reason=type(e).__name__
            ) from e
        except p11.PKCS11Error as e:
            raise SigningUnavailableError(
                Code.SIGNING_TOKEN_ABSENT, token=s.token_label, reason=type(e).__name__
            ) from e
        except Exception as e:  # pyHanko: no token with this label, a module that will not load
            if isinstance(e, SigningUnavailableError):
                raise
            raise SigningUnavailableError(
                Code.SIGNING_TOKEN_ABSENT, token=s.token_label, reason=_short(e)
            ) from e


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]
