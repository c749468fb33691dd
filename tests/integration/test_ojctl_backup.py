"""Backup and restore: a backup taken while uploads are arriving, restored
into a fresh private stack, holds every submission acknowledged before the backup
started, each with its file intact (sha256 of the bytes the student sent)."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

import ojtest
from ojharness.db import Database
from ojtest import sql

BACKUP = os.path.join(ojtest.ROOT, "ops/backup.sh")
OJ = os.path.join(ojtest.ROOT, "ops/oj")


def sql_at(var, query, params=None):
    """A query against the stack in var (the restored one) as its root."""
    return Database(os.path.join(var, "run/mysqld.sock")).query(query, params)


class Uploader(threading.Thread):
    """Uploads distinct files until stopped; records (id, sha256) of each 200 in order."""

    def __init__(self, token, course, module, tmp):
        super().__init__(daemon=True)
        self.args = (token, course, module)
        self.tmp = tmp
        self.acked = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors = []

    def run(self):
        i = 0
        while not self.stop.is_set():
            data = os.urandom(2048) + str(i).encode()
            path = os.path.join(self.tmp, f"u{i}.tar.bz2")
            with open(path, "wb") as f:
                f.write(data)
            code, body, _ = ojtest.upload(path, *self.args)
            os.unlink(path)
            if code == 200:
                with self.lock:
                    self.acked.append((body.split("Received ")[1].split()[0], hashlib.sha256(data).hexdigest()))
            elif code != 429:
                self.errors.append((code, body))
            i += 1

    def snapshot(self):
        with self.lock:
            return list(self.acked)


class BackupRestore(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="oj-backup-test-")
        os.chmod(self.tmp, 0o755)  # the fresh stack's judge sandbox (uid 65534) must reach it
        self.fresh = os.path.join(self.tmp, "fresh-stack")

    def tearDown(self):
        if os.path.exists(os.path.join(self.fresh, "oj.toml")):
            subprocess.run([OJ, "down", "--var", self.fresh, "--purge"], capture_output=True, timeout=300)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_backup_during_uploads_restores_into_a_fresh_stack(self):
        course, [tok] = ojtest.make_course(modules=("BK",), students=1, extra=("--supersede", "off"))
        up = Uploader(tok, course, "BK", self.tmp)
        up.start()
        try:
            ojtest.wait_for(lambda: len(up.snapshot()) >= 20, timeout=120, what="20 acknowledged uploads")
            before = up.snapshot()  # acknowledged before the backup started
            r = subprocess.run([BACKUP, "create", "--config", ojtest.CONFIG, "--out", self.tmp],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr)
            backup_dir = r.stdout.strip().splitlines()[-1]
            during = len(up.snapshot()) - len(before)
        finally:
            up.stop.set()
            up.join(timeout=120)
        self.assertFalse(up.errors, up.errors[:3])
        self.assertTrue(os.path.isfile(os.path.join(backup_dir, "db.sql")))

        # A fresh stack: its own MariaDB data directory, storage and ports.
        r = subprocess.run([OJ, "up", "--var", self.fresh, "--free-ports", "--bin", ojtest.BIN],
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        fresh_cfg = os.path.join(self.fresh, "oj.toml")
        # Nothing of the backed-up data yet (its own watchdog's canaries aside).
        self.assertEqual(sql_at(self.fresh, "SELECT COUNT(*) FROM submissions WHERE canary = 0")[0][0], "0")
        r = subprocess.run([BACKUP, "restore", "--config", fresh_cfg, "--from", backup_dir],
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("verified", r.stderr)

        ids = [i for i, _ in before]
        rows = {row[0]: row for row in sql_at(
            self.fresh, "SELECT s.id, s.sha256, s.storage_key, c.code FROM submissions s JOIN modules m ON "
                        "m.id = s.module_id JOIN courses c ON c.id = m.course_id WHERE s.id IN %s", (ids,))}
        for sid, sha in before:
            self.assertIn(sid, rows, f"acknowledged {sid} missing after restore")
            _, row_sha, key, code = rows[sid]
            self.assertEqual((row_sha, code), (sha, course))
            with open(os.path.join(self.fresh, "storage", key), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), sha, sid)
        # Everything else the source held at dump time came along too: the whole roster.
        self.assertEqual(sql_at(self.fresh, "SELECT token FROM students s JOIN courses c ON c.id = "
                                            "s.course_id WHERE c.code = %s", (course,)), [[tok]])
        # The restored stack serves the restored data.
        env = {}
        with open(os.path.join(self.fresh, "demo.env")) as f:
            env = dict(line.strip().split("=", 1) for line in f if "=" in line)
        code, _, _ = ojtest.curl(f"{env['OJ_URL']}/oj/{course}/BK/{tok}.json")
        self.assertEqual(code, 200)
        # Restoring over a database that has submissions needs --force.
        r = subprocess.run([BACKUP, "restore", "--config", fresh_cfg, "--from", backup_dir],
                           capture_output=True, text=True, timeout=600)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--force", r.stderr)
        print(f"backup: {len(before)} acknowledged before, {during} during the backup", flush=True)


if __name__ == "__main__":
    ojtest.main()
