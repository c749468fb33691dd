#!/usr/bin/env python3
"""Local hardening of the stack, checked on the running test stack: who may
reach each socket, how the database's administrators log in, that nginx's workers are not
root, that an invalid token learns nothing, and the headers a browser is given."""

import grp
import os
import pwd
import re
import socket
import stat
import subprocess
import tempfile
import tomllib
import unittest

import ojtest
from ojharness import procs
from ojtest import URL

with open(ojtest.CONFIG, "rb") as f:
    CFG = tomllib.load(f)
RUN = os.path.join(ojtest.VAR, "run")
AS_ROOT = os.geteuid() == 0


def connect_as_nobody(path):
    """Tries a unix-socket connect as uid/gid 65534 with no groups; returns the errno name or
    'connected'."""
    probe = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
             "try:\n s.connect(sys.argv[1]); print('connected')\n"
             "except OSError as e:\n import errno; print(errno.errorcode[e.errno])\n")
    r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--",
                        "python3", "-c", probe, path], capture_output=True, text=True, timeout=30)
    return r.stdout.strip() or r.stderr.strip()


def mariadb_tcp(user, password=None):
    args = ["mariadb", "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1",
            "-P", str(CFG["database"]["port"]), f"-u{user}", "-N", "-B", "-e", "SELECT 1"]
    if password is not None:
        args.insert(-4, f"-p{password}")
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def header(headers_text, name):
    m = re.search(rf"^{re.escape(name)}: (.*?)\r?$", headers_text, re.M | re.I)
    return m.group(1) if m else None


@unittest.skipUnless(AS_ROOT, "the stack drops privileges only when started as root (CI is)")
class SocketsTest(unittest.TestCase):
    def test_fcgi_socket_is_0660_and_belongs_to_the_nginx_group(self):
        path = CFG["fcgi"]["socket"]
        st = os.stat(path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        self.assertEqual(grp.getgrgid(st.st_gid).gr_name, CFG["fcgi"]["socket_group"])
        self.assertEqual(connect_as_nobody(path), "EACCES")

    def test_database_socket_is_0660(self):
        path = CFG["database"]["socket"]
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o660)
        self.assertEqual(connect_as_nobody(path), "EACCES")

    def test_a_member_of_the_group_reaches_the_pool(self):
        # What nginx's workers are: www-data in group oj. The control for the EACCES above.
        probe = "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print('connected')"
        r = subprocess.run(["setpriv", "--reuid", "www-data", "--regid", CFG["fcgi"]["socket_group"],
                            "--clear-groups", "--", "python3", "-c", probe, CFG["fcgi"]["socket"]],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stdout.strip(), "connected", r.stderr)


@unittest.skipUnless(AS_ROOT, "the stack drops privileges only when started as root (CI is)")
class NginxWorkersTest(unittest.TestCase):
    def test_workers_run_as_the_configured_unprivileged_user(self):
        with open(os.path.join(RUN, "nginx.pid")) as f:
            master = int(f.read())
        workers = procs.children_of(master)
        self.assertTrue(workers, "nginx has no worker processes")
        want_uid = pwd.getpwnam("www-data").pw_uid
        want_gid = grp.getgrnam(CFG["fcgi"]["socket_group"]).gr_gid
        for pid in workers:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
            uids = [int(x) for x in re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()]
            gids = [int(x) for x in re.search(r"^Gid:\s+(.*)$", status, re.M).group(1).split()]
            self.assertEqual(set(uids), {want_uid}, f"nginx worker {pid}: {uids}")
            self.assertEqual(set(gids), {want_gid}, f"nginx worker {pid}: {gids}")

    def test_stored_archives_are_readable_by_the_workers_only(self):
        # /archive/ (signed links for judge hosts) is served by those workers from storage.
        course, tokens = ojtest.make_course(modules=("M1",), students=1)
        with tempfile.NamedTemporaryFile(suffix=".tar.bz2") as f:
            ojtest.write_random(f.name, 2048)
            code, body, _ = ojtest.upload(f.name, tokens[0], course, "M1")
        self.assertEqual(code, 200, body)
        sid = body.split()[3]
        key = ojtest.sql("SELECT storage_key FROM submissions WHERE id = %s", (sid,))[0][0]
        st = os.stat(os.path.join(CFG["paths"]["storage_dir"], key))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        self.assertEqual(grp.getgrgid(st.st_gid).gr_name, CFG["fcgi"]["socket_group"])


@unittest.skipUnless(AS_ROOT, "root's unix_socket login is checked as the host's root")
class DatabaseAccountsTest(unittest.TestCase):
    def test_root_logs_in_by_unix_socket_only(self):
        rows = ojtest.sql("SELECT User, Host, JSON_VALUE(Priv, '$.plugin') FROM mysql.global_priv "
                          "WHERE User = 'root'")
        self.assertTrue(rows)
        for user, host, plugin in rows:
            self.assertEqual(plugin, "unix_socket", f"{user}@{host}")

    def test_no_account_logs_in_without_a_password(self):
        rows = ojtest.sql(
            "SELECT User, Host FROM mysql.global_priv WHERE "
            # No plugin in Priv is mysql_native_password (what mariadb-install-db's extra
            # root@127.0.0.1 and root@<hostname> are): count it.
            "IFNULL(JSON_VALUE(Priv, '$.plugin'), 'mysql_native_password') "
            "IN ('mysql_native_password', 'ed25519') "
            "AND IFNULL(JSON_VALUE(Priv, '$.is_role'), 'false') <> 'true' "
            "AND IFNULL(JSON_VALUE(Priv, '$.authentication_string'), '') = '' "
            "AND IFNULL(JSON_VALUE(Priv, '$.account_locked'), 'false') NOT IN ('true', '1')")
        self.assertEqual(rows, [])

    def test_root_over_tcp_is_refused(self):
        r = mariadb_tcp("root")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Access denied", r.stderr)
        r = mariadb_tcp("root", "")
        self.assertNotEqual(r.returncode, 0)

    def test_the_app_account_needs_the_configured_password(self):
        db = CFG["database"]
        self.assertEqual(mariadb_tcp(db["user"], db["password"]).returncode, 0)
        wrong = mariadb_tcp(db["user"], db["password"] + "x")
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("Access denied", wrong.stderr)


class OneStudentCourse(unittest.TestCase):
    """A fresh course with module M1, one student, and a small file to upload."""

    @classmethod
    def setUpClass(cls):
        cls.course, cls.tokens = ojtest.make_course(modules=("M1",), students=1)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.small = ojtest.write_random(os.path.join(cls.tmp.name, "a.tar.bz2"), 512)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()


class InvalidTokenLearnsNothingTest(OneStudentCourse):
    def test_upload_valid_token_unknown_course_is_the_unknown_tokens_answer(self):
        unknown_token = ojtest.upload(self.small, "ZZZZZZZZ", "NoSuchCourse", "M1")
        valid_token = ojtest.upload(self.small, self.tokens[0], "NoSuchCourse", "M1")
        self.assertEqual(unknown_token[:2], (403, "[FAIL ✗] Invalid token!\n"))
        self.assertEqual(valid_token[:2], unknown_token[:2])

    def test_results_page_is_one_404_for_every_unknown(self):
        answers = {}
        for what, path in [("unknown token", f"/oj/{self.course}/M1/ZZZZZZZZ"),
                           ("valid token, unknown course", f"/oj/NoSuchCourse/M1/{self.tokens[0]}"),
                           ("valid token, unknown module", f"/oj/{self.course}/Nope/{self.tokens[0]}")]:
            for suffix in ("", ".json"):
                status, body, _ = ojtest.get(path + suffix)
                answers.setdefault(suffix, set()).add((status, body))
                self.assertEqual(status, 404, what + suffix)
        for suffix, seen in answers.items():
            self.assertEqual(len(seen), 1, f"different answers for {suffix or 'html'}: {seen}")


class BrowserHeadersTest(OneStudentCourse):
    def test_every_kind_of_answer_forbids_sniffing(self):
        page = f"/oj/{self.course}/M1/{self.tokens[0]}"
        for what, path in [("page", page), ("json", page + ".json"), ("404 page", "/oj/x/y/ZZZZZZZZ"),
                           ("asset", f"/oj/{self.course}/M1/src/oj.js"), ("nginx 404", "/nope"),
                           ("healthz", "/healthz")]:
            status, _, headers = ojtest.get(path)
            self.assertEqual(headers.get("x-content-type-options"), "nosniff", f"{what} ({status})")
        code, body, headers = ojtest.upload(self.small, self.tokens[0], self.course, "M1")
        self.assertEqual(code, 200, body)
        self.assertEqual(header(headers, "X-Content-Type-Options"), "nosniff")
        code, _, headers = ojtest.upload(self.small, "ZZZZZZZZ", self.course, "M1")
        self.assertEqual((code, header(headers, "X-Content-Type-Options")), (403, "nosniff"))

    def test_pages_allow_only_their_own_assets(self):
        for path in (f"/oj/{self.course}/M1/{self.tokens[0]}", "/oj/x/y/ZZZZZZZZ"):
            status, body, headers = ojtest.get(path)
            csp = headers.get("content-security-policy", "")
            directives = dict((d.split(" ", 1) + [""])[:2] for d in (x.strip() for x in csp.split(";")) if d)
            self.assertEqual(directives.get("default-src"), "'none'", csp)
            self.assertEqual(directives.get("script-src"), "'self'", csp)
            self.assertEqual(directives.get("style-src"), "'self'", csp)
            self.assertEqual(directives.get("frame-ancestors"), "'none'", csp)
            html = body.decode()
            # What the policy would block must not be needed: no inline script or style.
            self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)", path)
            self.assertNotIn("<style", html, path)
            self.assertNotRegex(html, r"\sstyle=", path)
            self.assertNotRegex(html, r"\son[a-z]+=", path)

    def test_result_url_comes_from_the_configuration_not_the_host_header(self):
        code, body, headers = ojtest.upload(self.small, self.tokens[0], self.course, "M1",
                                            headers={"Host": "attacker.example"})
        self.assertEqual(code, 200, body)
        want = CFG["server"].get("public_url") or f"http://{CFG['server']['listen']}:{CFG['server']['port']}"
        self.assertEqual(header(headers, "X-OJ-Result-URL"), f"{want}/oj/{self.course}/M1/{self.tokens[0]}")


if __name__ == "__main__":
    ojtest.main()
