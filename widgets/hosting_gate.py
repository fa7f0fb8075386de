"""The gate between a visitor's page and its kernel: only the messages widgets need pass.

The page talks to its kernel through a websocket.  :class:`WidgetsOnlyConnection` passes on only
the messages in :data:`ALLOWED` (``comm_open``, ``comm_msg``, ``comm_close``,
``comm_info_request`` and ``kernel_info_request`` on the shell channel); an ``execute_request``
(code of the visitor's choosing), ``input_reply`` or any control message is dropped before it
reaches the kernel, and logged.  :func:`message_route` reads a message's channel and type in either
websocket protocol of jupyter_server, and refuses a frame whose part offsets cannot be right.
:mod:`widgets.hosting` sets the connection class on the Voilà server it starts.

>>> message_route('{"channel": "shell", "header": {"msg_type": "execute_request"}}', None)
('shell', 'execute_request')
>>> ("shell", "execute_request") in ALLOWED, message_route((2**60).to_bytes(8, "little"), V1)
(False, ('', ''))
"""

from __future__ import annotations

import json

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["ALLOWED", "V1", "WidgetsOnlyConnection", "message_route"]

V1 = "v1.kernel.websocket.jupyter.org"
#: (channel, message type) pairs a visitor's page may send to its kernel: what widgets need
ALLOWED = frozenset(("shell", t) for t in ("comm_open", "comm_msg", "comm_close", "comm_info_request",
                                           "kernel_info_request"))


def _offsets(ws_msg: bytes, width: int, order: str, least: int) -> list[int] | None:
    """The part offsets at the start of a binary frame, or None if they cannot be right.

    jupyter_server's own readers trust the count in the first bytes and loop (or build a format
    string) that many times: a frame claiming 2**60 parts would stall the server and eat its memory.
    """
    n = int.from_bytes(ws_msg[:width], order)
    if not least <= n <= len(ws_msg) // width - 1:
        return None
    offsets = [int.from_bytes(ws_msg[width * (i + 1):width * (i + 2)], order) for i in range(n)]
    return offsets if offsets == sorted(offsets) and offsets[-1] <= len(ws_msg) else None


def message_route(ws_msg, subprotocol: str | None) -> tuple[str, str]:
    """``(channel, msg_type)`` of a message from the page, in either websocket protocol of
    jupyter_server; ``("", "")`` when it cannot be read (such a message is dropped)."""
    try:
        if subprotocol == V1:  # offsets (8-byte little-endian): channel, header, parent, metadata, content, ...
            at = _offsets(ws_msg, 8, "little", 3)
            if at is None:
                return "", ""
            channel, header = ws_msg[at[0]:at[1]].decode(), json.loads(ws_msg[at[1]:at[2]])
        else:
            if isinstance(ws_msg, bytes):  # offsets (4-byte big-endian): the JSON message, then buffers
                at = _offsets(ws_msg, 4, "big", 1)
                if at is None:
                    return "", ""
                msg = json.loads(ws_msg[at[0]:at[1] if len(at) > 1 else None])
            else:
                msg = json.loads(ws_msg)
            channel, header = msg.get("channel") or "shell", msg["header"]  # jupyter_server's default: shell
        return str(channel), str(header["msg_type"])
    except Exception:  # noqa: BLE001 - anything unreadable is simply not allowed
        return "", ""


class WidgetsOnlyConnection(ZMQChannelsWebsocketConnection):
    """The kernel websocket of jupyter_server, passing on only the messages in :data:`ALLOWED`.

    Set as ``Voila.kernel_websocket_connection_class``; everything else a page sends (above
    all ``execute_request``) never reaches the kernel.
    """

    def handle_incoming_message(self, incoming_msg) -> None:
        route = message_route(incoming_msg, self.subprotocol)
        if route not in ALLOWED:
            self.log.warning("ktnas: dropped a %r message on the %r channel of kernel %s (only widget "
                             "messages are passed on)", route[1] or "unreadable", route[0], self.kernel_id)
            return
        super().handle_incoming_message(incoming_msg)
