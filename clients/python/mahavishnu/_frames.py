"""Multipart sends and receives without pyzmq's per-frame conveniences.

`Socket.send_multipart` and `recv_multipart` cost several microseconds a frame in flag enums
and argument checks; a client moving tens of thousands of 7-frame messages a second spends
most of its time there. These call the backend socket's `send`/`recv` with plain integer
flags; the messages are the same.
"""

from typing import List

import zmq

try:
    from zmq.backend import Socket as _BackendSocket
    _send, _recv, _get = _BackendSocket.send, _BackendSocket.recv, _BackendSocket.get
except (ImportError, AttributeError):   # a pyzmq without the split: the public methods
    _send, _recv, _get = zmq.Socket.send, zmq.Socket.recv, zmq.Socket.get

_MORE_NOBLOCK = int(zmq.SNDMORE | zmq.NOBLOCK)
_NOBLOCK = int(zmq.NOBLOCK)
_RCVMORE = int(zmq.RCVMORE)


def send_frames(socket: zmq.Socket, frames: List[bytes]) -> None:
    """Sends `frames` as one message without blocking; `zmq.Again` (nothing sent) if it would block."""
    last = len(frames) - 1
    _send(socket, frames[0], _MORE_NOBLOCK if last else _NOBLOCK)
    for index in range(1, last + 1):
        _send(socket, frames[index], _MORE_NOBLOCK if index < last else _NOBLOCK)


def receive_frames(socket: zmq.Socket) -> List[bytes]:
    """The next whole message, without blocking; `zmq.Again` if there is none."""
    frames = [_recv(socket, _NOBLOCK)]
    while _get(socket, _RCVMORE):
        frames.append(_recv(socket, _NOBLOCK))
    return frames
