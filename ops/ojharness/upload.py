"""The HTTP client side of the harness: the one upload client (multipart/form-data over
http.client, the body streamed from chunks), GET, and curl for requests no well-formed
client would send (a path kept as is, a body that is not multipart, a client in another
network namespace).

Every answer is Answer(status, body, headers): body as text (UTF-8, bad bytes replaced;
GET keeps bytes), headers as the header block's text (one "Name: value" line each, what
`curl -D` writes) that .get(name) also reads case-insensitively. Status 0: no answer."""
import collections
import http.client
import os
import secrets
import subprocess
import tempfile
import urllib.parse


class Headers(str):
    """A response's header block as text, with a case-insensitive get()."""

    def get(self, name, default=None):
        for line in self.splitlines():
            k, sep, v = line.partition(":")
            if sep and k.strip().lower() == name.lower():
                return v.strip()
        return default

    @classmethod
    def of(cls, response):
        return cls(f"HTTP/1.1 {response.status} {response.reason}\r\n" +
                   "".join(f"{k}: {v}\r\n" for k, v in response.getheaders()))


Answer = collections.namedtuple("Answer", "status body headers")


def multipart_head(fields, filename, boundary):
    """The part of a multipart body before the file's bytes: each field, then the file's
    part header (the file is the last part, as the upload form sends it)."""
    out = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                  for k, v in fields)
    out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n")
    return out.encode()


def upload(url, token, course, module, *, path=None, data=None, chunks=None, filename=None,
           headers=None, timeout=120, max_body=1 << 20):
    """POSTs one upload to url + /upload (the file from path, data or chunks); returns an
    Answer. headers: extra request headers (Idempotency-Key, Host, ...). An answer nginx
    gives before the whole body is sent (413, 503) and then closes is read, not lost."""
    if path is not None:
        with open(path, "rb") as f:
            chunks = [f.read()]
        filename = filename or os.path.basename(path)
    elif data is not None:
        chunks = [data]
    boundary = "----ojharness" + secrets.token_hex(8)
    head = multipart_head((("token", token), ("course", course), ("module", module)),
                          filename or "upload.tar.bz2", boundary)
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head) + sum(len(c) for c in chunks) + len(tail)
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    extra = dict(headers or {})
    host = extra.pop("Host", None)
    try:
        c.putrequest("POST", (u.path.rstrip("/") or "") + "/upload", skip_host=host is not None)
        if host is not None:
            c.putheader("Host", host)
        c.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        c.putheader("Content-Length", str(size))
        for k, v in extra.items():
            c.putheader(k, v.encode())  # as curl sends them: UTF-8, whatever they hold
        c.endheaders()
        c.send(head)
        for ch in chunks:
            for i in range(0, len(ch), 256 * 1024):
                c.send(ch[i:i + 256 * 1024])
        c.send(tail)
        return _answer(c, max_body)
    except (OSError, http.client.HTTPException) as e:
        try:  # nginx may answer (413, 503) and close before the whole body is sent
            return _answer(c, max_body)
        except (OSError, http.client.HTTPException):
            return Answer(0, f"({type(e).__name__}: {e})", Headers(""))
    finally:
        c.close()


def _answer(c, max_body):
    r = c.getresponse()
    body = r.read(max_body).decode("utf-8", "replace")
    return Answer(r.status, body, Headers.of(r))


def get(url, path, headers=None, timeout=30, max_body=None):
    """GET url + path; Answer with the body as bytes and headers as {lower name: value}.
    Status 0 and b"" when nothing answered."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = r.read(max_body) if max_body else r.read()
        return Answer(r.status, body, {k.lower(): v for k, v in r.getheaders()})
    finally:
        c.close()


def curl(*args, timeout=120, prefix=()):
    """Runs curl -s ARGS (prefix: a command curl runs under, e.g. nsenter into a network
    namespace); returns Answer(http code, body text, header block text)."""
    fd, hdr = tempfile.mkstemp(prefix="oj-curl-")
    os.close(fd)
    try:
        r = subprocess.run([*prefix, "curl", "-s", "--max-time", str(timeout), "-D", hdr,
                            "-w", "|%{http_code}", *args], capture_output=True, timeout=timeout + 10)
        body, _, code = r.stdout.decode("utf-8", "replace").rpartition("|")
        with open(hdr, errors="replace") as f:
            return Answer(int(code or 0), body, Headers(f.read()))
    finally:
        os.unlink(hdr)

