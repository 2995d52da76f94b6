#!/usr/bin/env python3
"""Writes directories as the layers of an image in a docker-archive (the format of `docker save`), which Jib takes as
a base image (tar://) and `docker load` and `skopeo copy docker-archive:` read.

    docker-archive.py OUT.tar --layer DIR DESCRIPTION [--layer ...] [--owner PATH=UID] [--env NAME=VALUE ...]
                      [--user UID:GID] [--workdir DIR] [--architecture amd64]

Each DIR becomes one layer holding what is inside it at /. Every file is owned by root but under an --owner path
(relative to /; it and everything inside it are owned by UID:UID), and every time is the same: the same files give
the same layer, byte for byte, whoever builds it and whenever.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import stat
import tarfile

MTIME = 1  # as Jib's layers: 1970-01-01T00:00:01Z, since some tools read 0 as no time at all
CREATED = "1970-01-01T00:00:01Z"


def layer_tar(root, owners):
    """The uncompressed layer: root's content, sorted, with fixed owners and times."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def normalize(info):
            info.mtime = MTIME
            info.uname = info.gname = ""
            info.uid = info.gid = 0
            for path, uid in owners:
                if info.name == path or info.name.startswith(path + "/"):
                    info.uid = info.gid = uid
            return info

        for directory, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(dirs + files):
                path = os.path.join(directory, name)
                mode = os.lstat(path).st_mode
                if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                    continue  # devices, sockets, pipes: a container runtime provides /dev
                tar.add(path, arcname=os.path.relpath(path, root), recursive=False, filter=normalize)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--layer", nargs=2, action="append", metavar=("DIR", "DESCRIPTION"), required=True)
    parser.add_argument("--owner", action="append", default=[])
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--user")
    parser.add_argument("--workdir")
    parser.add_argument("--architecture", default="amd64")
    args = parser.parse_args()
    owners = [(path.strip("/"), int(uid)) for path, uid in (o.split("=", 1) for o in args.owner)]

    blobs, diff_ids, history = [], [], []
    for index, (directory, description) in enumerate(args.layer):
        layer = layer_tar(directory, owners)
        diff_ids.append("sha256:" + hashlib.sha256(layer).hexdigest())
        compressed = io.BytesIO()
        # Level 6, as gzip's own default: half the time of 9 for 0.5 % more bytes.
        with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=6) as gz:
            gz.write(layer)
        blobs.append(("layer-%d.tar.gz" % index, compressed.getvalue()))
        history.append({"created": CREATED, "created_by": description})

    config = {"Env": args.env}
    if args.user:
        config["User"] = args.user
    if args.workdir:
        config["WorkingDir"] = args.workdir
    image = json.dumps({"architecture": args.architecture, "os": "linux", "created": CREATED, "config": config,
                        "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history},
                       indent=2).encode()
    config_name = hashlib.sha256(image).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": None, "Layers": [n for n, _ in blobs]}]).encode()

    with tarfile.open(args.out, "w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in [("manifest.json", manifest), (config_name, image)] + blobs:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), MTIME, 0o644
            archive.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
