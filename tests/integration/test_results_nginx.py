"""What nginx does for the results side: assets from disk with long
lifetimes and gzip and never through the app, the 1 s microcache (one app request
for a burst of 500), 304 answered from the cache, and a 503 "busy" page when the app
is down. App request counts come from the app's own /metrics counters."""
import collections
import http.client
import os
import re
import shutil
import tempfile
import threading
import time
import tomllib
import unittest

import ojtest
import wdhelp
from ojtest import HOST, PORT, get, make_course, unique
from results_fixtures import insert_submission

APP_ROUTES = ("results_page", "results_json", "other")


def app_requests(routes=APP_ROUTES):
    """Requests the app answered on these routes, from /metrics."""
    status, body, _ = get("/metrics")
    assert status == 200, status
    total = 0
    for route, n in re.findall(r'^oj_http_requests_total\{route="([a-z_]+)",status="\d+"\} (\d+)$',
                               body.decode(), re.M):
        if route in routes:
            total += int(n)
    return total


class ResultsNginxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.course, (cls.token,) = make_course(students=1)
        insert_submission(cls.token, cls.course, "M1", "done", 1, verdict="accepted", score=1,
                          max_score=1, log="x" * 4000)
        cls.base = f"/oj/{cls.course}/M1"

    def test_assets_from_disk_with_long_lifetime_gzip_and_no_app_request(self):
        before = app_requests()
        for asset in ("bootstrap.min.css", "bootstrap.min.js", "oj.js"):
            for prefix in (self.base, f"/oj/{unique('X')}/{unique('Y')}"):
                status, body, h = get(f"{prefix}/src/{asset}", {"Accept-Encoding": "gzip"})
                self.assertEqual(status, 200, asset)
                self.assertEqual(h.get("content-encoding"), "gzip", asset)
                self.assertRegex(h.get("cache-control", ""), r"max-age=\d{6,}", asset)
                self.assertNotIn("x-cache", h)  # not the FastCGI location
        status, _, h = get(f"{self.base}/src/bootstrap.min.css")
        self.assertEqual(h.get("content-type"), "text/css; charset=utf-8")
        status, _, _ = get(f"{self.base}/src/no-such-asset.css")
        self.assertEqual(status, 404)
        self.assertEqual(app_requests(), before, "an asset request reached the app")

    def test_microcache_hit_gzip_and_304_from_the_cache(self):
        path = f"{self.base}/{self.token}.json?t={unique('')}"
        status, body, h = get(path)
        self.assertEqual((status, h.get("x-cache")), (200, "MISS"))
        etag = h["etag"]
        before = app_requests()
        status, body2, h = get(path)
        self.assertEqual(h.get("x-cache"), "HIT")
        self.assertEqual(body2, body)
        status, _, h = get(path, {"If-None-Match": etag})
        self.assertEqual((status, h.get("x-cache")), (304, "HIT"))
        status, _, h = get(path, {"Accept-Encoding": "gzip"})
        self.assertEqual(h.get("content-encoding"), "gzip")
        status, _, h = get(f"{self.base}/{self.token}?t={unique('')}", {"Accept-Encoding": "gzip"})
        self.assertEqual((status, h.get("content-encoding")), (200, "gzip"))
        self.assertLessEqual(app_requests() - before, 1)  # at most the page's own miss

    def test_burst_of_500_reaches_the_app_at_most_a_few_times(self):
        path = f"{self.base}/{self.token}?burst={unique('')}"  # cold: never requested
        counts, lock, latencies = collections.Counter(), threading.Lock(), []
        start = threading.Event()

        def worker(n):
            c = http.client.HTTPConnection(HOST, PORT, timeout=10)
            c.connect()
            start.wait()
            for _ in range(n):
                t0 = time.monotonic()
                try:
                    c.request("GET", path)
                    r = c.getresponse()
                    r.read()
                    s = r.status
                except (OSError, http.client.HTTPException):
                    s = "error"
                    c.close()
                    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
                with lock:
                    counts[s] += 1
                    latencies.append(time.monotonic() - t0)
            c.close()

        before = app_requests(("results_page",))
        threads = [threading.Thread(target=worker, args=(10,)) for _ in range(50)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        start.set()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        hits = app_requests(("results_page",)) - before
        print(f"burst: 500 requests in {elapsed:.2f} s -> {dict(counts)}, app hits {hits}, "
              f"max latency {max(latencies) * 1000:.0f} ms")
        self.assertEqual(sum(counts.values()), 500)
        self.assertEqual(set(counts) - {200, 429}, set(), counts)
        self.assertLessEqual(hits, 3)


class AppDownTest(unittest.TestCase):
    """The busy page, on a private stack whose pool is stopped for good: stopping the
    shared stack's pool would leave its restart racing the next test."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="oj-appdown-")
        cls.stack = wdhelp.PrivateStack(os.path.join(cls.tmp, "var"))
        try:
            cls.stack.up()
            with open(cls.stack.config, "rb") as f:
                cls.port = tomllib.load(f)["server"]["port"]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body, dict((k.lower(), v) for k, v in r.getheaders())

    def test_app_down_gives_the_busy_page(self):
        self.assertEqual(self.get("/healthz")[0], 200)
        self.stack.stop_component("fcgi")  # and its supervisor: it stays down
        base = f"/oj/{unique('C')}/M1/{unique('t')}"
        for path in (f"{base}?t={unique('')}", f"{base}.json?t={unique('')}"):
            t0 = time.monotonic()
            status, body, h = self.get(path)
            self.assertLess(time.monotonic() - t0, 5, "a down app must not hang the page")
            self.assertEqual(status, 503, path)
            self.assertTrue(h.get("content-type", "").startswith("text/html"), h)
            self.assertIn("retry-after", h)
            self.assertIn(b"busy", body)


if __name__ == "__main__":
    ojtest.main()
