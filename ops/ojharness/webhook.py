"""The one webhook receiver: where a watchdog under test posts its alerts.

Every POST is kept as (time received, body text, the body parsed as JSON or None).
`messages` are the JSON objects (a template like TEMPLATE sends one per alert, read by
find() and wait()); `alerts` are the texts (the default template's "text", else the body),
read by events() and summary() in the "[oj FIRING] check on host: ..." form. While `down`,
the receiver accepts a POST and hangs without answering (the worst kind of outage: a
sender without a timeout would block); when it comes back it answers 200."""
import collections
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A webhook_template that posts the alert's fields as JSON (what find() and wait() read).
TEMPLATE = ('{"check": "{{check}}", "state": "{{state}}", "message": "{{message}}", '
            '"value": "{{value}}", "threshold": "{{threshold}}", "host": "{{host}}"}')


class Receiver:
    """A webhook receiver on 127.0.0.1:<free port>; url is what a watchdog posts to."""

    def __init__(self):
        self.posts = []  # (time, text, parsed JSON or None)
        self.attempts_while_down = 0
        self.down = False
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = min(int(self.headers.get("Content-Length", "0") or 0), 1 << 20)
                text = self.rfile.read(n).decode("utf-8", "replace")
                if outer.down:
                    with outer.lock:
                        outer.attempts_while_down += 1
                    deadline = time.time() + 30
                    while outer.down and time.time() < deadline:
                        time.sleep(0.05)
                    self.close_connection = True
                    return  # no answer at all
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
                with outer.lock:
                    outer.posts.append((time.time(), text, parsed))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.down = False
        self.server.shutdown()
        self.server.server_close()

    @property
    def messages(self):
        """[(time, JSON object)] of the posts that were JSON objects."""
        with self.lock:
            return [(t, p) for t, _, p in self.posts if isinstance(p, dict)]

    @property
    def alerts(self):
        """[(time, alert text)]: a JSON object's "text", else the body."""
        with self.lock:
            return [(t, p["text"] if isinstance(p, dict) and "text" in p else text)
                    for t, text, p in self.posts]

    def find(self, check, state, since):
        return [(t, m) for t, m in self.messages
                if t >= since and m.get("check") == check and m.get("state") == state]

    def wait(self, check, state, since, timeout):
        """Waits for a (check, state) message received after `since`; returns its delay."""
        end = time.monotonic() + timeout
        while not self.find(check, state, since):
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout} s waiting for webhook message {check} {state}")
            time.sleep(0.05)
        return self.find(check, state, since)[0][0] - since

    def events(self):
        """[(time, state, check)] with state firing, repeat or resolved, in arrival order."""
        out = []
        for t, text in self.alerts:
            m = re.search(r"\[oj (FIRING|REPEAT|RESOLVED)\] (\S+)", text, re.I)
            if m:
                out.append((t, m.group(1).lower(), m.group(2)))
        return out

    def summary(self):
        """{check: [fired, resolved]} from texts like '[oj FIRING] fcgi on h: ...'. Other
        messages (REPEAT, the outage ledger's SUGGEST/AUTO grace messages) count as sent under
        'check (state)'."""
        out = collections.defaultdict(lambda: [0, 0])
        for _, t in self.alerts:
            m = re.search(r"\[oj (\w+)\] (\S+)", t)
            if not m:
                out["(unparsed)"][0] += 1
                continue
            state, check = m.group(1).upper(), m.group(2)
            if state == "FIRING":
                out[check][0] += 1
            elif state == "RESOLVED":
                out[check][1] += 1
            else:
                out[f"{check} ({state.lower()})"][0] += 1
        return dict(out)
