"""Encryption at rest with key ids, so keys can rotate without rewriting everything at once.

A `KeyRing` holds named AES-256-GCM keys; the newest encrypts, any known key decrypts. Keys come
from an environment variable (`id:base64key,id:base64key`, first = current) or, in embedded mode,
from a file created on first use under the service's var directory — never from the repository.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class KeyRing:
    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys:
            raise ValueError("current key id not in the key ring")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {key_id} must be 32 bytes")
        self._keys, self.current = dict(keys), current

    @classmethod
    def parse(cls, spec: str) -> "KeyRing":
        """`k2:BASE64,k1:BASE64` — the first entry is the current key."""
        entries = [item.strip().split(":", 1) for item in spec.split(",") if item.strip()]
        keys = {key_id: base64.b64decode(value) for key_id, value in entries}
        return cls(keys, entries[0][0])

    @classmethod
    def from_env_or_file(cls, spec: str | None, path: Path) -> "KeyRing":
        if spec:
            return cls.parse(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Write a temporary file and link it into place: when the web and worker processes
            # start together, exactly one key wins and nobody reads a half-written file.
            key_id = "k" + secrets.token_hex(4)
            staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}\n")
            try:
                os.link(staging, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(staging)
        return cls.parse(path.read_text().strip())

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: bytes, associated_data: bytes = b"") -> tuple[str, bytes]:
        nonce = secrets.token_bytes(12)
        return self.current, nonce + AESGCM(self._keys[self.current]).encrypt(nonce, plaintext, associated_data)

    def decrypt(self, key_id: str, blob: bytes, associated_data: bytes = b"") -> bytes:
        return AESGCM(self._keys[key_id]).decrypt(blob[:12], blob[12:], associated_data)

    def encrypt_json(self, value, associated_data: bytes = b"") -> tuple[str, bytes]:
        return self.encrypt(json.dumps(value, separators=(",", ":")).encode(), associated_data)

    def decrypt_json(self, key_id: str, blob: bytes, associated_data: bytes = b""):
        return json.loads(self.decrypt(key_id, blob, associated_data))

    def keyed_hash(self, value: str, key_id: str | None = None) -> str:
        """A blind index: equal inputs match, nothing about the input can be read back.
        `key_id` names an older key, to match values indexed before a rotation."""
        return hmac.new(self._keys[key_id or self.current], value.encode(), hashlib.sha256).hexdigest()
