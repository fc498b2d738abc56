#!/usr/bin/env python3
"""hang: an edge that accepts connections and never answers.

Listens on 127.0.0.1:PORT, accepts every connection, reads what comes and
never writes a byte, so a client waits until its own timeout. Prints
"accepted N" to stderr per connection so a test can see it was reached."""
import socket
import sys
import threading

def hold(conn):
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass

def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(64)
    n = 0
    while True:
        conn, _ = s.accept()
        n += 1
        print("accepted", n, file=sys.stderr, flush=True)
        threading.Thread(target=hold, args=(conn,), daemon=True).start()

main()
