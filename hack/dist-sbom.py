#!/usr/bin/env python3
# Prints the bundle's SPDX 2.3 SBOM (JSON): svclink, its shipped files, and the three
# vendored Debian source packages with their versions and pinned checksums.
"""usage: dist-sbom.py --version V --epoch SECONDS --vendor-sums vendor/SHA256SUMS --bundle DIR

The vendored packages and versions come from vendor/SHA256SUMS (one NAME_VERSION.dsc line
per package, plus its tarballs), so the SBOM names exactly what the build fetched and
checked. Deterministic: the creation time is the epoch given and the document namespace
is derived from the content.
"""
import argparse
import hashlib
import json
import os
import re
import sys
import time
import uuid

# What the sources' own copyright files say; SHA256SUMS carries no licence.
LICENSES = {"bearssl": "MIT", "libyaml": "MIT", "jsmn": "MIT"}
SUMMARY = {
    "bearssl": "TLS 1.2 and X.509 (statically linked)",
    "libyaml": "YAML parser for kubeconfigs (statically linked)",
    "jsmn": "JSON tokenizer (header only, compiled in)",
}


def vendor_packages(path):
    """{name: {"version": v, "files": [(file, sha256)]}} from a SHA256SUMS file."""
    pkgs = {}
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    for row in rows:
        if len(row) != 2 or not re.fullmatch(r"[0-9a-f]{64}", row[0]):
            sys.exit("dist-sbom: %s: unexpected line %r" % (path, " ".join(row)))
    for digest, name in rows:
        m = re.fullmatch(r"([a-z0-9.+-]+)_(.+)\.dsc", name)
        if m:
            pkgs[m.group(1)] = {"version": m.group(2), "files": []}
    for digest, name in rows:
        pkg = name.split("_", 1)[0]
        if pkg not in pkgs:
            sys.exit("dist-sbom: %s: %s belongs to no .dsc" % (path, name))
        pkgs[pkg]["files"].append((name, digest))
    return pkgs


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def spdx_id(text):
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]", "-", text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("--epoch", required=True, type=int)
    ap.add_argument("--vendor-sums", required=True)
    ap.add_argument("--bundle", required=True)
    args = ap.parse_args()

    pkgs = vendor_packages(args.vendor_sums)
    missing = sorted(set(LICENSES) - set(pkgs))
    if missing:
        sys.exit("dist-sbom: %s names no %s" % (args.vendor_sums, ", ".join(missing)))

    files, file_ids = [], []
    for sub in ("bin", "images"):
        for name in sorted(os.listdir(os.path.join(args.bundle, sub))):
            rel = sub + "/" + name
            fid = spdx_id("File-" + rel)
            files.append({
                "SPDXID": fid,
                "fileName": "./" + rel,
                "checksums": [{"algorithm": "SHA256",
                               "checksumValue": sha256_file(os.path.join(args.bundle, rel))}],
                "licenseConcluded": "NOASSERTION",
                "copyrightText": "NOASSERTION",
            })
            file_ids.append(fid)

    main_id = "SPDXRef-Package-svclink"
    packages = [{
        "SPDXID": main_id,
        "name": "svclink",
        "versionInfo": args.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": True,
        "hasFiles": file_ids,
        "packageVerificationCode": {"packageVerificationCodeValue": hashlib.sha1("".join(
            sorted(f["checksums"][0]["checksumValue"] for f in files)).encode()).hexdigest()},
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
    }]
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": main_id}]
    for name in sorted(pkgs):
        p = pkgs[name]
        pid = spdx_id("Package-" + name)
        orig = [d for f, d in p["files"] if ".orig." in f]
        packages.append({
            "SPDXID": pid,
            "name": name,
            "versionInfo": p["version"],
            "summary": SUMMARY.get(name, ""),
            "supplier": "Organization: Debian",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            # The upstream tarball's checksum; every file of the source package is below.
            "checksums": [{"algorithm": "SHA256", "checksumValue": orig[0] if orig else p["files"][0][1]}],
            "sourceInfo": "Debian source package %s %s, fetched by vendor/fetch.sh and verified against vendor/SHA256SUMS: %s"
                          % (name, p["version"], "; ".join("%s sha256:%s" % fd for fd in sorted(p["files"]))),
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                              "referenceLocator": "pkg:deb/debian/%s@%s?arch=source" % (name, p["version"].replace("+", "%2B"))}],
            "licenseConcluded": LICENSES.get(name, "NOASSERTION"),
            "licenseDeclared": LICENSES.get(name, "NOASSERTION"),
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
        })
        relationships.append({"spdxElementId": main_id, "relationshipType": "STATIC_LINK",
                              "relatedSpdxElement": pid})

    body = {"packages": packages, "files": files, "relationships": relationships}
    ns = uuid.uuid5(uuid.NAMESPACE_OID, json.dumps(body, sort_keys=True))
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "svclink-" + args.version,
        "documentNamespace": "urn:uuid:%s" % ns,
        "creationInfo": {
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(args.epoch)),
            "creators": ["Tool: svclink hack/dist-sbom.py"],
        },
    }
    doc.update(body)
    json.dump(doc, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
