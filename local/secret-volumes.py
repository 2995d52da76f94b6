#!/usr/bin/env python3
"""The operator's token Secrets as a pod sees them mounted, on the host, kept current: for local/run.

    secret-volumes.py KUBECTL DIRECTORY

Local mode has no kubelet, so no pod ever mounts a Secret; an app run on the host (examples/app) reads this instead:
every Secret labelled app.kubernetes.io/managed-by=kuratchi-operator in DIRECTORY/<namespace>/<name>/, laid out as
the kubelet lays out a Secret volume. Each key is a symlink into ..data, which points at a hidden directory holding
the files; a change writes a new hidden directory and swaps ..data with one rename, so a reader sees all old files or
all new ones, and a renewed token reaches a running app the way it does in a pod (the client follows the token file).

It lists, then watches from the list's resourceVersion; a watch that ends (the API server ends every watch after a
while) or expires lists again, which also removes what was deleted meanwhile. KUBECONFIG says which cluster. One JSON
line on stdout once the first list is written; on stderr, Secrets by name only, never a value.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

SELECTOR = "app.kubernetes.io/managed-by=kuratchi-operator"
# A watch ends after this at the latest; the list after it prunes what a missed deletion left.
WATCH_SECONDS = 300

kubectl, root = sys.argv[1], os.path.abspath(sys.argv[2])


def log(message):
    print(f"secret-volumes: {message}", file=sys.stderr, flush=True)


def url(**query):
    return "/api/v1/secrets?" + urllib.parse.urlencode({"labelSelector": SELECTOR, **query})


def private_file(path, flags):
    return os.open(path, flags, 0o600)


def current(directory):
    """What the directory holds now, {key: bytes}, or None."""
    data = os.path.join(directory, "..data")
    if not os.path.isdir(data):
        return None
    held = {}
    for key in os.listdir(data):
        with open(os.path.join(data, key), "rb") as f:
            held[key] = f.read()
    return held


def write(namespace, name, encoded):
    directory = os.path.join(root, namespace, name)
    data = {key: base64.b64decode(value) for key, value in (encoded or {}).items()}
    os.makedirs(directory, mode=0o700, exist_ok=True)
    changed = current(directory) != data
    if changed:
        # mkdtemp makes it 0700; the kubelet names these ..<timestamp> too.
        target = tempfile.mkdtemp(prefix=time.strftime("..%Y_%m_%d_%H_%M_%S."), dir=directory)
        for key, value in data.items():
            with open(os.path.join(target, key), "wb", opener=private_file) as f:
                f.write(value)
        staged = os.path.join(directory, "..data_tmp")
        if os.path.lexists(staged):
            os.remove(staged)
        os.symlink(os.path.basename(target), staged)
        os.replace(staged, os.path.join(directory, "..data"))
    for key in data:
        if not os.path.islink(os.path.join(directory, key)):
            os.symlink(os.path.join("..data", key), os.path.join(directory, key))
    # The replaced files, what a swap cut short by SIGTERM left, and the links of keys the Secret no longer has.
    target = os.readlink(os.path.join(directory, "..data"))
    for entry in os.listdir(directory):
        path = os.path.join(directory, entry)
        if entry.startswith(".."):
            if entry in ("..data", target):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        elif entry not in data:
            os.remove(path)
    if changed:
        log(f"wrote {namespace}/{name}")


def remove(namespace, name):
    directory = os.path.join(root, namespace, name)
    if os.path.isdir(directory):
        shutil.rmtree(directory)
        log(f"removed {namespace}/{name}")
    try:
        os.rmdir(os.path.join(root, namespace))
    except OSError:
        pass  # another Secret of that namespace is still there, or it is gone already


def synchronize():
    """Writes every Secret, removes the directories of the Secrets that are gone; returns the list's resourceVersion."""
    listed = json.loads(subprocess.run([kubectl, "get", "--raw", url()], check=True, stdout=subprocess.PIPE).stdout)
    present = set()
    for secret in listed["items"]:
        meta = secret["metadata"]
        write(meta["namespace"], meta["name"], secret.get("data"))
        present.add((meta["namespace"], meta["name"]))
    for namespace in os.listdir(root):
        for name in os.listdir(os.path.join(root, namespace)):
            if (namespace, name) not in present:
                remove(namespace, name)
    return listed["metadata"]["resourceVersion"], sorted(f"{ns}/{name}" for ns, name in present)


def watch(version):
    """Applies each change until the watch ends or its resourceVersion is too old."""
    with subprocess.Popen([kubectl, "get", "--raw", url(watch="1", resourceVersion=version,
                                                         timeoutSeconds=str(WATCH_SECONDS))],
                          stdout=subprocess.PIPE) as stream:
        try:
            for line in stream.stdout:
                event = json.loads(line)
                if event["type"] == "ERROR":  # 410 Gone, mostly: list again
                    log(f"watch: {event['object'].get('message', 'error')}; listing again")
                    return
                meta = event["object"]["metadata"]
                if event["type"] in ("ADDED", "MODIFIED"):
                    write(meta["namespace"], meta["name"], event["object"].get("data"))
                elif event["type"] == "DELETED":
                    remove(meta["namespace"], meta["name"])
        finally:
            stream.kill()


def main():
    # SIGTERM (local/run stopping) unwinds like an exception, so the kubectl of the list or watch under way is ended.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.umask(0o077)
    os.makedirs(root, mode=0o700, exist_ok=True)
    version, names = synchronize()
    print(json.dumps({"directory": root, "secrets": names}), flush=True)
    while True:
        watch(version)
        while True:
            try:
                version, _ = synchronize()
                break
            except (subprocess.CalledProcessError, ValueError, KeyError) as e:
                # The API server restarting, say; local/run stops this when the cluster is gone for good.
                log(f"listing the Secrets failed ({e}); trying again")
                time.sleep(1)


if __name__ == "__main__":
    main()
