#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with seeds in each target's input format (see
tests/regressions/harness.rs): the shipped examples, the test fixtures and the vendored
Kubernetes corpus (tests/corpus; $CORPUS names another folder to add).
Usage: python3 fuzz/seed.py [MAX_FILES_PER_TARGET]"""
import hashlib, json, os, pathlib, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"
LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
SHARED = pathlib.Path(os.environ.get("CORPUS", ROOT / "tests" / "corpus"))
OWN = ["ApiKeyInventory", "RetentionPolicy", "SecurityProfile", "Waivers"]
counts = {}

def put(target, data: bytes):
    if counts.get(target, 0) >= LIMIT or len(data) > 64 * 1024:
        return
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
    counts[target] = counts.get(target, 0) + 1

def files(*dirs):
    for base in dirs:
        base = pathlib.Path(base)
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.is_file() and ".git" not in p.parts:
                    yield p

manifests = [p for p in files(ROOT / "examples", ROOT / "tests", SHARED)
             if p.suffix in (".yaml", ".yml", ".json") and "regressions" not in p.parts]
for p in manifests:
    data = p.read_bytes()
    put("loader", (b"\x00" if p.suffix == ".json" else b"y") + data)
    text = data.decode("utf-8", "replace")
    for i, kind in enumerate(OWN):
        if f"kind: {kind}" in text:
            body = "\n".join(l for l in text.splitlines()
                             if not l.startswith(("apiVersion:", "kind:")))
            put("config", bytes([i]) + body.encode())
    try:
        import yaml
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except Exception:
        docs = []
    for d in docs[:3]:
        review = {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
                  "request": {"uid": "u", "operation": "CREATE", "name": "n",
                              "namespace": "shop",
                              "kind": {"group": "", "version": "v1", "kind": str(d.get("kind", "Pod"))},
                              "resource": {"group": "", "version": "v1", "resource": "pods"},
                              "userInfo": {"username": "admin"}, "object": d}}
        try:
            put("admission", json.dumps(review, default=str).encode())
        except Exception:
            pass

for p in files(ROOT / "examples", ROOT / "tests" / "fixtures", ROOT / "src" / "scan"):
    rel = p.relative_to(ROOT).as_posix()
    put("scanner", rel.encode() + b"\n" + p.read_bytes())

print(counts)
