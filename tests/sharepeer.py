#!/usr/bin/env python3
"""tests/sharepeer.py: the other end of sitrep's share socket, for
tests/tui/share.sh. As an observer it plays the ones a driver must survive
(one that never says hello, one that writes after its hello, one that stops
reading); as a driver it serves the streams an observer must survive.

  first SOCK            hello; print the type of the first record
  garbage SOCK          hello, then a line more: print "closed" once the driver hangs up
  nohello SOCK          connect and say nothing: print "closed" once the driver hangs up
  stall SOCK SECONDS    hello, read nothing for SECONDS, then read what is there:
                        print "dropped" when the driver hung up meanwhile
  skip SOCK SECONDS     hello, read nothing for SECONDS, then read for 5 s: print
                        the record types in order, repeats folded ("state pane skipped state")
  dump SOCK SECONDS     hello, then write every byte received for SECONDS to stdout
  fake SOCK MODE        a driver: version | huge | escapes | truncated | bye
"""
import json
import os
import socket
import sys
import time

HELLO = b'{"stream":1,"type":"hello","seq":1,"time":0}\n'


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def closed_within(s, seconds):
    s.settimeout(seconds)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True


def lines(s, seconds):
    s.settimeout(0.5)
    buf = b""
    end = time.time() + seconds
    out = []
    while time.time() < end:
        try:
            b = s.recv(1 << 20)
        except (socket.timeout, TimeoutError):
            continue
        except OSError:
            break
        if not b:
            break
        buf += b
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                out.append(json.loads(line)["type"])
            except Exception:
                out.append("broken")
    return out


def observer(cmd, path, arg):
    s = connect(path)
    if cmd == "nohello":
        print("closed" if closed_within(s, 20) else "open")
        return
    s.sendall(HELLO)
    if cmd == "first":
        s.settimeout(10)
        buf = b""
        while b"\n" not in buf:
            b = s.recv(65536)
            if not b:
                print("closed")
                return
            buf += b
        print(json.loads(buf.split(b"\n", 1)[0])["type"])
    elif cmd == "garbage":
        lines(s, 1)
        s.sendall(b"purge everything\n")
        print("closed" if closed_within(s, 10) else "open")
    elif cmd == "stall":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        time.sleep(float(arg))
        print("dropped" if closed_within(s, 5) else "kept")
    elif cmd == "skip":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        time.sleep(float(arg))
        types = lines(s, 5)
        folded = [t for i, t in enumerate(types) if i == 0 or types[i - 1] != t]
        print(" ".join(folded))
    elif cmd == "dump":
        s.settimeout(0.5)
        end = time.time() + float(arg)
        while time.time() < end:
            try:
                b = s.recv(1 << 20)
            except (socket.timeout, TimeoutError):
                continue
            if not b:
                break
            sys.stdout.buffer.write(b)
        sys.stdout.buffer.flush()


def record(kind, **kw):
    r = {"stream": 1, "type": kind, "seq": 1, "time": int(time.time() * 1000)}
    r.update(kw)
    return (json.dumps(r) + "\n").encode()


def state(pane_data):
    pane = {"index": 0, "id": "evil", "kind": "logs", "source": "logs", "title": "evil",
            "state": "ok", "error": "\u001b[2J\u001b]0;pwned\u0007", "updated_at": None,
            "has_data": True, "polls": False, "updated_ms": time.time() * 1000, "data": pane_data}
    return record("state", driver={"user": "mallory\u001b[31m", "host": "h\u202eost"}, panes=[pane])


def driver(path, mode):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    print("ready", flush=True)
    while True:
        c, _ = srv.accept()
        try:
            serve(c, mode)
        except OSError:
            pass  # an observer that hung up (or refused us) ends only its own connection
        c.close()


def serve(c, mode):
    c.recv(4096)
    data = {"groups": [{"fingerprint": "\u001b[31mred", "severity": "error", "count": 3,
                        "first_seen": "2026-12-07T22:00:00Z", "last_seen": "2026-12-07T22:00:00Z",
                        "sample": "\u001b[31mred\u001b[0m \u009b2J \u202eevil", "source": "app"}],
            "lines": [{"time": "2026-12-07T22:00:00Z", "severity": "error",
                                     "source": "app", "text": "\u001b[31mred\u001b[0m \u009b2J \u202eevil"}]}
    if mode == "version":
        c.sendall(b'{"stream":7,"type":"state","seq":1,"time":1,"panes":[],"driver":{}}\n')
    elif mode == "huge":
        c.sendall(state(data))
        c.sendall(b'{"stream":1,"type":"pane","pane":{"text":"' + b"x" * (9 << 20) + b'"}}\n')
    elif mode == "escapes":
        c.sendall(state(data))
        time.sleep(600)
    elif mode == "truncated":
        c.sendall(state(data))
        c.sendall(b'{"stream":1,"type":"pane","pane":{"index":0,')
    elif mode == "bye":
        c.sendall(state(data))
        c.sendall(record("bye", reason="the driver quit"))
    time.sleep(0.5)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    if cmd == "fake":
        driver(path, arg)
    else:
        observer(cmd, path, arg)


if __name__ == "__main__":
    main()
