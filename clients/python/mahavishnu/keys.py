"""CURVE keys from the same key directory the CLI reads (docs/security.md).

A client's directory holds `id.secret` (its own key pair; the public key is derived from it)
and `broker.public` (the broker's public key), as `mahavishnu keys generate` writes them.
"""

import os
from dataclasses import dataclass
from typing import Optional

import zmq

from .errors import KeysError


@dataclass(frozen=True)
class ClientKeys:
    """What a connection to a CURVE broker needs: its own key pair and the broker's public key (Z85)."""

    secret_key: bytes
    public_key: bytes
    server_key: bytes

    @classmethod
    def from_directory(cls, directory: str) -> "ClientKeys":
        """Reads `DIR/id.secret` and `DIR/broker.public`."""
        secret = _read(directory, "id.secret")
        try:
            public = zmq.curve_public(secret)
        except zmq.ZMQError as error:
            raise KeysError(f"{os.path.join(directory, 'id.secret')} is not a CURVE secret key ({error}); generate one with `mahavishnu keys generate --out {directory}`") from None
        return cls(secret_key=secret, public_key=public, server_key=_read(directory, "broker.public"))

    def apply(self, socket: zmq.Socket) -> None:
        """Makes `socket` a CURVE client of the broker (before it connects)."""
        socket.curve_secretkey = self.secret_key
        socket.curve_publickey = self.public_key
        socket.curve_serverkey = self.server_key


def resolve_keys(keys: "Optional[object]") -> Optional[ClientKeys]:
    """`keys` as given (a `ClientKeys` or a directory), else `MAHAVISHNU_CLIENT_KEYS_DIR`, else none."""
    if isinstance(keys, ClientKeys):
        return keys
    directory = keys if keys is not None else os.environ.get("MAHAVISHNU_CLIENT_KEYS_DIR")
    if not directory:
        return None
    return ClientKeys.from_directory(os.path.expanduser(str(directory)))


def _read(directory: str, name: str) -> bytes:
    path = os.path.join(directory, name)
    try:
        with open(path, "rb") as file:
            key = file.read().strip()
    except OSError:
        raise KeysError(f"cannot read {path}; generate keys with `mahavishnu keys generate --out DIR --name NAME` and copy the broker's broker.public next to id.secret") from None
    if len(key) != 40:
        raise KeysError(f"{path} does not hold a Z85 CURVE key (40 characters; got {len(key)})")
    return key
