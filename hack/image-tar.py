#!/usr/bin/env python3
# Writes the svclink image (one layer: /svclink) as one archive that is both an OCI image
# layout and a docker-archive, byte-for-byte reproducible from the binary and the epoch.
"""usage: image-tar.py --binary FILE --arch amd64|arm64 --tag NAME:TAG --version V
                    --epoch SECONDS --out FILE.tar [--file NAME] [--user UID:GID]

The archive holds oci-layout, index.json and blobs/sha256/* (read by podman load,
ctr import, skopeo's oci-archive) and manifest.json naming the same blobs (read by docker
load, kind load image-archive, skopeo's docker-archive), as `docker save` writes since
Docker 25. Every tar entry has owner 0:0, fixed modes, the given mtime and a sorted
order, and the JSON is written with sorted keys and no spaces, so the same inputs give
the same bytes and therefore the same image digest.

--file names the one file in the layer, which is also the entrypoint (default svclink);
--user the image's user. hack/node.sh packs its sandbox (pause) image the same way.

The index's io.containerd.image.name annotation and the docker-archive's RepoTags both
carry --tag exactly as given; ctr import, podman load and docker load name the image
that way. Give a fully qualified name (localhost/svclink:TAG): the kubelet's runtime
(containerd's CRI) then finds the imported image by the name the manifests use, without
any rewriting (docs/operations.md#the-image-name).
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import time

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
# The image's user: the conventional "nonroot" id, as Dockerfile.scratch sets.
USER = "65532:65532"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def add(tar, name, data, mode, epoch):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def tar_bytes(entries, epoch):
    """entries: (name, bytes, mode), written in name order as a ustar archive."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in sorted(entries):
            add(tar, name, data, mode, epoch)
    return buf.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build(binary, arch, tag, version, epoch, file="svclink", user=USER):
    layer = tar_bytes([(file, binary, 0o755)], epoch)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    platform = {"architecture": arch, "os": "linux"}
    if arch == "arm64":
        platform["variant"] = "v8"
    config = dict(platform)
    config.update({
        "created": created,
        "config": {
            "User": user,
            "Entrypoint": ["/" + file],
            "Labels": {
                "org.opencontainers.image.title": file,
                "org.opencontainers.image.version": version,
            },
        },
        "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
        "history": [{"created": created, "created_by": "COPY %s /%s" % (file, file)}],
    })
    config_json = canonical(config)
    manifest = canonical({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha(config_json), "size": len(config_json)},
        "layers": [{"mediaType": OCI_LAYER, "digest": sha(layer), "size": len(layer)}],
    })
    name, _, ref = tag.rpartition(":")
    index = canonical({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{
            "mediaType": OCI_MANIFEST,
            "digest": sha(manifest),
            "size": len(manifest),
            "platform": platform,
            "annotations": {"org.opencontainers.image.ref.name": ref,
                            "io.containerd.image.name": tag},
        }],
    })
    blob = lambda data: "blobs/sha256/" + hashlib.sha256(data).hexdigest()
    docker_manifest = canonical([{
        "Config": blob(config_json),
        "RepoTags": [tag],
        "Layers": [blob(layer)],
    }])
    entries = [
        ("oci-layout", canonical({"imageLayoutVersion": "1.0.0"}), 0o644),
        ("index.json", index, 0o644),
        ("manifest.json", docker_manifest, 0o644),
        (blob(layer), layer, 0o644),
        (blob(config_json), config_json, 0o644),
        (blob(manifest), manifest, 0o644),
    ]
    return tar_bytes(entries, epoch), sha(manifest), sha(config_json)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--arch", required=True, choices=["amd64", "arm64"])
    ap.add_argument("--tag", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--epoch", required=True, type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--file", default="svclink")
    ap.add_argument("--user", default=USER)
    args = ap.parse_args()
    if ":" not in args.tag.rpartition("/")[2]:
        sys.exit("image-tar: --tag needs NAME:TAG, got %r" % args.tag)
    first, slash, _ = args.tag.partition("/")
    if not slash or not ("." in first or ":" in first or first == "localhost"):
        sys.exit("image-tar: --tag needs a fully qualified name (localhost/NAME:TAG), got %r"
                 % args.tag)
    if not args.file or "/" in args.file or args.file.startswith("."):
        sys.exit("image-tar: --file needs a plain file name, got %r" % args.file)
    with open(args.binary, "rb") as f:
        binary = f.read()
    data, digest, image_id = build(binary, args.arch, args.tag, args.version, args.epoch,
                                   args.file, args.user)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.out)
    print("image-tar: %s (%s, %d bytes): manifest %s, image id %s"
          % (args.out, args.arch, len(data), digest, image_id))


if __name__ == "__main__":
    main()
