"""Test support for ``rssn publish``: a local stand-in Hub server.

``FakeHub`` is a small HTTP server that implements the part of the Hugging Face
Hub API that ``HfApi.create_repo`` and ``HfApi.upload_folder`` use on the
non-Xet path (repo creation, README YAML validation, tree listing, preupload,
the Git LFS batch API with basic transfer, the LFS PUT and the NDJSON commit).
It checks the bearer token, refuses malformed requests and an LFS object whose
bytes do not hash to its oid, and keeps what was committed so a test can compare
it with the local folder byte for byte. It is a server the real client talks to
over HTTP, not a mock of the client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml


class FakeHub:
    def __init__(self, token: str):
        self.token = token
        self.repos: dict[str, dict] = {}  # repo_id -> {"private": bool, "files": {path: bytes}}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.commits: list[dict] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _send(self, status: int, payload, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str):
                body = self._body()
                path = self.path.split("?", 1)[0]
                with hub.lock:
                    hub.requests.append((method, path))
                    status, payload = hub.route(method, path, self.headers, body)
                self._send(status, payload)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PUT(self):
                self._handle("PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the API ---------------------------------------------------------------------

    def route(self, method: str, path: str, headers, body: bytes):
        if method == "PUT" and path.startswith("/lfs-upload/"):
            # a presigned storage URL: no Hub token, the oid is the check
            oid = path.rsplit("/", 1)[1]
            if hashlib.sha256(body).hexdigest() != oid:
                return 400, {"error": "content does not match oid"}
            self.lfs[oid] = body
            return 200, {}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "Invalid username or password."}
        if method == "POST" and path == "/api/repos/create":
            req = json.loads(body)
            if req.get("type") != "dataset":
                return 400, {"error": "expected a dataset repo"}
            repo_id = f"{req['organization']}/{req['name']}"
            url = f"{self.url}/datasets/{repo_id}"
            if repo_id in self.repos:
                return 409, {"error": "You already created this dataset repo", "url": url}
            self.repos[repo_id] = {"private": req.get("visibility") == "private", "files": {}}
            return 200, {"url": url}
        if method == "POST" and path == "/api/validate-yaml":
            req = json.loads(body)
            match = re.match(r"^---\n(.*?)\n---\n", req["content"], re.S)
            try:
                meta = yaml.safe_load(match.group(1)) if match else None
            except yaml.YAMLError as exc:
                return 400, {"errors": [{"message": str(exc)}]}
            if not isinstance(meta, dict):
                return 400, {"errors": [{"message": "no YAML metadata"}]}
            return 200, {"errors": [], "warnings": []}
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/(tree|preupload|commit)/main$", path)
        if m:
            repo = self.repos.get(m.group(1))
            if repo is None:
                return 404, {"error": "Repository not found"}
            return getattr(self, f"_{m.group(2)}")(m.group(1), repo, body)
        m = re.match(r"^/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch$", path)
        if m and method == "POST":
            req = json.loads(body)
            if req.get("operation") != "upload" or "basic" not in req.get("transfers", []):
                return 400, {"message": "only basic uploads"}
            objects = []
            for obj in req["objects"]:
                entry = {"oid": obj["oid"], "size": obj["size"]}
                if obj["oid"] not in self.lfs:
                    entry["actions"] = {"upload": {"href": f"{self.url}/lfs-upload/{obj['oid']}"}}
                objects.append(entry)
            return 200, {"transfer": "basic", "objects": objects}
        return 404, {"error": f"not implemented by FakeHub: {method} {path}"}

    def _tree(self, repo_id, repo, body):
        return 200, [
            {"type": "file", "path": p, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
            for p, b in sorted(repo["files"].items())
        ]

    def _preupload(self, repo_id, repo, body):
        files = json.loads(body)["files"]
        return 200, {
            "files": [
                {
                    "path": f["path"],
                    "uploadMode": "regular"
                    if f["path"].endswith((".md", ".gitattributes"))
                    else "lfs",
                    "shouldIgnore": False,
                }
                for f in files
            ]
        }

    def _commit(self, repo_id, repo, body):
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        if not lines or lines[0]["key"] != "header":
            return 400, {"error": "no commit header"}
        added, deleted = {}, []
        for item in lines[1:]:
            key, value = item["key"], item["value"]
            if key == "file":
                added[value["path"]] = base64.b64decode(value["content"])
            elif key == "lfsFile":
                data = self.lfs.get(value["oid"])
                if data is None or len(data) != value["size"]:
                    return 400, {"error": f"LFS object of {value['path']} was never uploaded"}
                added[value["path"]] = data
            elif key == "deletedFile":
                deleted.append(value["path"])
            else:
                return 400, {"error": f"unexpected operation {key}"}
        for p in deleted:
            repo["files"].pop(p, None)
        repo["files"].update(added)
        oid = hashlib.sha1(body).hexdigest()
        self.commits.append(
            {
                "repo": repo_id,
                "summary": lines[0]["value"]["summary"],
                "added": sorted(added),
                "deleted": deleted,
            }
        )
        return 200, {
            "commitUrl": f"{self.url}/datasets/{repo_id}/commit/{oid}",
            "commitOid": oid,
            "success": True,
        }
