#!/usr/bin/python3
"""Drops files on an X11 window the way a file manager does: the XDND protocol (version 5).

xdotool can move the mouse and type, but cannot drag a file from another program. This is that
other program: it owns the XdndSelection, sends XdndEnter / XdndPosition / XdndDrop to the target
window, and hands over the files as text/uri-list when the target asks for them.

    xdnd_drop.py WINDOW_ID X Y FILE...      (X, Y: root coordinates inside the target window)
Exit 0 once the target has sent XdndFinished (it took the drop), 1 otherwise.
"""
import select
import sys
import time
import urllib.parse

from Xlib import X, display
from Xlib.protocol import event

XDND_VERSION = 5


def main():
    target_id, x, y = int(sys.argv[1], 0), int(sys.argv[2]), int(sys.argv[3])
    files = sys.argv[4:]
    uri_list = "".join("file://" + urllib.parse.quote(f) + "\r\n" for f in files).encode()

    d = display.Display()
    atom = d.intern_atom
    root = d.screen().root
    source = root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
    target = d.create_resource_object("window", target_id)
    uri_type = atom("text/uri-list")
    source.set_selection_owner(atom("XdndSelection"), X.CurrentTime)

    def send(name, data):
        data = list(data) + [0] * (5 - len(data))
        message = event.ClientMessage(window=target, client_type=atom(name), data=(32, data))
        target.send_event(message, event_mask=0)
        d.flush()

    send("XdndEnter", [source.id, XDND_VERSION << 24, uri_type, 0, 0])
    send("XdndPosition", [source.id, 0, (x << 16) | y, X.CurrentTime, atom("XdndActionCopy")])

    accepted = dropped = False
    deadline = time.time() + 10
    while time.time() < deadline:
        if not d.pending_events():
            select.select([d.fileno()], [], [], 0.1)
            continue
        e = d.next_event()
        if e.type == X.ClientMessage and e.client_type == atom("XdndStatus"):
            accepted = bool(e.data[1][1] & 1)
            if not accepted:
                print("the window does not accept text/uri-list here", file=sys.stderr)
                return 1
            if not dropped:
                send("XdndDrop", [source.id, 0, X.CurrentTime])
                dropped = True
        elif e.type == X.SelectionRequest:
            # The target asks for the data: put it on its property and tell it so.
            e.requestor.change_property(e.property, uri_type, 8, uri_list)
            notify = event.SelectionNotify(time=e.time, requestor=e.requestor, selection=e.selection,
                                           target=e.target, property=e.property)
            e.requestor.send_event(notify, event_mask=0)
            d.flush()
        elif e.type == X.ClientMessage and e.client_type == atom("XdndFinished"):
            return 0
    print("no XdndFinished from the window within 10 s (accepted: %s)" % accepted, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
