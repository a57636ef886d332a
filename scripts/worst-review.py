#!/usr/bin/env python3
"""Writes the worst AdmissionReview the API server lets through (3 MiB): one Deployment
whose container env fills the body. Usage: worst-review.py keys|vars OUT [BYTES]
  keys: every env var holds a literal key (the most findings per byte)
  vars: the most env vars per byte (the most entities)
  args: the most container arguments (an entity each) under the webhook's limit of
        35,000 JSON values: the worst review that is judged rather than refused"""
import json, sys

shape, out = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 3 * 1024 * 1024

def review(env):
    obj = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "huge", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "huge"}}, "template": {
            "metadata": {"labels": {"app": "huge"}},
            "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0",
                                     "securityContext": {"privileged": True}, "env": env}]}}},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "0b6e0b52-3c83-4b6a-9a57-000000000001",
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": "huge", "namespace": "shop", "operation": "CREATE",
        "userInfo": {"username": "dev"}, "object": obj, "dryRun": False}}

if shape == "args":
    doc = review([{"name": "A", "value": "x"}])
    doc["request"]["object"]["spec"]["template"]["spec"]["containers"][0]["args"] = ["--flag=%d" % i for i in range(34900)]
    text = json.dumps(doc, separators=(",", ":"))
    open(out, "w").write(text)
    print("%s: %d bytes, 34900 args" % (out, len(text)))
    sys.exit(0)

def var(i):
    if shape == "keys":
        # a distinct, well-formed key per variable (letters and digits, 48 after the prefix)
        body = ("%06d" % i) + "Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uKx7Hq2Wm4Z"
        return {"name": "GATEWAY_API_KEY_%d" % i, "value": "sk-proj-" + body}
    return {"name": "V%d" % i, "value": "x"}

base = len(json.dumps(review([]), separators=(",", ":")))
per = len(json.dumps(var(999999), separators=(",", ":"))) + 1
n = (limit - base) // per
env = [var(i) for i in range(n)]
text = json.dumps(review(env), separators=(",", ":"))
while len(text) > limit:
    env.pop()
    text = json.dumps(review(env), separators=(",", ":"))
open(out, "w").write(text)
print("%s: %d bytes, %d env vars" % (out, len(text), len(env)))
