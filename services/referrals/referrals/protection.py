"""Client data at rest: one AES-GCM blob per referral and a blind index of the identity code.

The referral id is the associated data, so a blob copied onto another referral does not decrypt.
The blind index is a keyed hash (its key separate from the encryption keys): equal codes match,
and nothing about a code can be read back from it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.crypto import KeyRing


@dataclass(frozen=True)
class ClientDataVault:
    data_keys: KeyRing
    index_keys: KeyRing

    @classmethod
    def from_settings(cls, settings) -> "ClientDataVault":
        return cls(KeyRing.from_env_or_file(settings.data_keys, settings.var_dir / "referrals-data-keys.txt"),
                   KeyRing.from_env_or_file(settings.index_keys, settings.var_dir / "referrals-index-keys.txt"))

    def seal(self, referral_id: uuid.UUID, value: dict, purpose: str = "client") -> tuple[str, bytes]:
        return self.data_keys.encrypt_json(value, _aad(referral_id, purpose))

    def open(self, referral_id: uuid.UUID, key_id: str, blob: bytes, purpose: str = "client") -> dict:
        return self.data_keys.decrypt_json(key_id, blob, _aad(referral_id, purpose))

    def seal_text(self, referral_id: uuid.UUID, entry_id: uuid.UUID, text: str) -> tuple[str, bytes]:
        return self.seal(referral_id, {"text": text}, purpose=f"text:{entry_id}")

    def open_text(self, referral_id: uuid.UUID, entry_id: uuid.UUID, key_id: str, blob: bytes) -> str:
        return self.open(referral_id, key_id, blob, purpose=f"text:{entry_id}")["text"]

    def client_index(self, client: dict) -> str | None:
        """The blind index: of the identity code when there is one, else of name + birth date."""
        code = client.get("personal_identity_code")
        if code:
            return self.index_keys.keyed_hash("hetu:" + code)
        if client.get("birth_date"):
            name = f"{client.get('first_name', '')}|{client.get('last_name', '')}".casefold()
            return self.index_keys.keyed_hash(f"name:{name}|{client['birth_date']}")
        return None

    def keyed_body_hash(self, canonical_body: str) -> str:
        return self.index_keys.keyed_hash("body:" + canonical_body)


def _aad(referral_id: uuid.UUID, purpose: str) -> bytes:
    return f"{referral_id}:{purpose}".encode()
