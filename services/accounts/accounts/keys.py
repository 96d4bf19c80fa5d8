"""The token signing keys: generated on first use, encrypted at rest, rotated with overlap.

Every unretired key is published in the JWKS, so a token signed just before a rotation still
verifies everywhere. A new key is published *before* it signs: the newest key at least
`ACCOUNTS_KEY_ACTIVATION_SECONDS` old signs (longer than a process caches its key set), so by the
time any worker signs with it, every worker's JWKS already lists it and no verifier elsewhere can
meet a kid that accounts does not serve. A key from `ACCOUNTS_SIGNING_KEY_FILE` (PEM) takes
precedence over the table and is published with it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session, sessionmaker

from shared.crypto import KeyRing
from shared.db import unit_of_work, utcnow

from accounts import audit
from accounts.models import SigningKey
from accounts.settings import AccountsSettings

log = logging.getLogger(__name__)
# How long a process trusts its cached key set: a rotation made by another process is
# picked up within this time (the old key stays published meanwhile, so nothing fails).
CACHE_SECONDS = 30.0
# An unknown kid reloads the table at most this often, so garbage tokens cannot hammer it.
MISS_RELOAD_SECONDS = 1.0


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    created_at: datetime | None = None  # None: a file key, active at once

    @property
    def public_jwk(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


def _new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def _thumbprint_kid(private_key: rsa.RSAPrivateKey) -> str:
    """RFC 7638 thumbprint: a file key gets the same kid in every process."""
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return jwt.utils.base64url_encode(hashlib.sha256(canonical.encode()).digest()).decode()


class KeyStore:
    """Signing keys of this process, cached; thread-safe."""

    def __init__(self, settings: AccountsSettings, sessions: sessionmaker[Session]):
        self.settings, self.sessions = settings, sessions
        self._lock = threading.Lock()
        self._keyring: KeyRing | None = None
        self._keys: dict[str, LoadedKey] = {}  # newest generation first
        self._loaded_at = float("-inf")
        self._file_key: LoadedKey | None = None

    # -- reading ---------------------------------------------------------------------------
    def current(self) -> LoadedKey:
        """The key that signs now; generates the first one if there is none."""
        with self._lock:
            if not self._keys or self._stale(CACHE_SECONDS):
                self._reload()
            if not self._keys:
                self._generate(first=True)
                self._reload()
            return self._file_key or self._signing(list(self._keys.values()))

    def _signing(self, newest_first: list):
        """The newest key (LoadedKey or SigningKey row) published long enough; the oldest while none has."""
        cutoff = utcnow() - timedelta(seconds=self.settings.key_activation_seconds)
        return next((key for key in newest_first if key.created_at <= cutoff), newest_first[-1])

    def verification_key(self, kid: str | None):
        """The `TokenVerifier` key source: the public key for `kid`, or None."""
        with self._lock:
            if self._stale(CACHE_SECONDS) or (kid not in self._keys and self._stale(MISS_RELOAD_SECONDS)):
                self._reload()
            key = self._keys.get(kid)
            return key.private_key.public_key() if key else None

    def jwks(self) -> dict:
        self.current()  # a fresh installation publishes its first key at once
        with self._lock:
            return {"keys": [key.public_jwk for key in self._keys.values()]}

    # -- writing ---------------------------------------------------------------------------
    def rotate(self) -> str:
        """Add a new signing key; the previous ones stay published until retired."""
        if self.settings.signing_key_file:
            raise RuntimeError("the signing key comes from ACCOUNTS_SIGNING_KEY_FILE: replace that file instead")
        with self._lock:
            kid = self._generate(first=False)
            self._reload()
            return kid

    def retire(self, kid: str) -> None:
        with unit_of_work(self.sessions) as session:
            keys = session.scalars(sa.select(SigningKey).where(SigningKey.retired_at.is_(None))
                                   .order_by(SigningKey.generation.desc())).all()
            if not any(key.kid == kid for key in keys):
                raise LookupError(f"no published signing key {kid}")
            if kid in (keys[0].kid, self._signing(keys).kid) and not self.settings.signing_key_file:
                raise ValueError("the current signing key cannot be retired: rotate first, and wait until "
                                 "the new key signs")
            session.get(SigningKey, kid).retired_at = utcnow()
            audit.record(session, "signing_key.retired", target_type="signing_key", target_id=kid, organisation_id=None)
        with self._lock:
            self._loaded_at = float("-inf")

    def keyring(self) -> KeyRing:
        """The AES key ring that encrypts secrets at rest (signing keys, people's TOTP secrets)."""
        with self._lock:
            return self._ring()

    # -- internals (called with the lock held) ------------------------------------------------
    def _stale(self, seconds: float) -> bool:
        return time.monotonic() - self._loaded_at >= seconds

    def _ring(self) -> KeyRing:
        if self._keyring is None:
            spec = self.settings.key_encryption_keys
            self._keyring = _load_keyring(spec.get_secret_value() if spec else None, self.settings.key_file)
        return self._keyring

    def _reload(self) -> None:
        with self.sessions() as session:
            rows = session.scalars(sa.select(SigningKey).where(SigningKey.retired_at.is_(None))
                                   .order_by(SigningKey.generation.desc())).all()
        keys = {}
        for row in rows:
            cached = self._keys.get(row.kid)
            if cached is None:
                pem = self._ring().decrypt(row.encryption_key_id, row.private_key, row.kid.encode())
                cached = LoadedKey(row.kid, serialization.load_pem_private_key(pem, password=None), row.created_at)
            keys[row.kid] = cached
        if self.settings.signing_key_file:
            self._file_key = self._file_key or _load_file_key(self.settings.signing_key_file)
            keys = {self._file_key.kid: self._file_key, **keys}
        self._keys, self._loaded_at = keys, time.monotonic()

    def _generate(self, *, first: bool) -> str:
        """Insert the next generation; losing a race to another process is fine (re-read)."""
        private_key = _new_private_key()
        kid = "k" + utcnow().strftime("%Y%m%d%H%M%S") + "-" + _thumbprint_kid(private_key)[:8]
        key_id, blob = self._ring().encrypt(_pem(private_key), kid.encode())
        try:
            with unit_of_work(self.sessions) as session:
                latest = session.scalar(sa.select(sa.func.max(SigningKey.generation))) or 0
                if first and latest:
                    return ""  # another process made the first key meanwhile
                session.add(SigningKey(kid=kid, generation=latest + 1, encryption_key_id=key_id, private_key=blob,
                                       public_jwk=LoadedKey(kid, private_key).public_jwk))
                audit.record(session, "signing_key.created" if first else "signing_key.rotated",
                             target_type="signing_key", target_id=kid, organisation_id=None)
        except sa.exc.IntegrityError:
            log.info("another process generated a signing key at the same time; using its key")
            return ""
        log.info("generated signing key %s", kid)
        return kid


def _load_file_key(path) -> LoadedKey:
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("ACCOUNTS_SIGNING_KEY_FILE must hold an RSA private key (RS256)")
    return LoadedKey(_thumbprint_kid(private_key), private_key)


def _load_keyring(spec: str | None, path) -> KeyRing:
    """KeyRing.from_env_or_file, tolerating another process creating the file at the same moment."""
    for attempt in range(50):
        try:
            return KeyRing.from_env_or_file(spec, path)
        except (FileExistsError, IndexError, ValueError):
            if spec or attempt == 49:
                raise
            time.sleep(0.02)  # the other process is writing the file; its content follows at once
    raise AssertionError("unreachable")
