"""What the Kubernetes schemas cannot tell about the manifests: that every setting they
give is one the service reads, that the API and the worker get the same Secrets, that
the ports agree, that every pod runs locked down, and that no Secret value is in the
repository. scripts/validate-deploy runs it on the rendered base and overlay.

    manifests.py --src SRC RENDERED.yaml...           check rendered manifests
    manifests.py --src SRC --unrendered BASE OVERLAY  without a renderer: the base's
        files, and the overlay's patches and merged settings against them
"""

import argparse
import glob
import os
import re
import sys

import yaml

PODS = ("Deployment", "Job")


def fail(errors, message):
    errors.append(message)


# ---------------------------------------------------------------- the settings in src


def settings_tree(config_rs):
    """The settings the service reads, from the `pub struct` declarations of
    src/platform/config.rs: nested dicts by field name, whose leaves are "plain" or
    "secret" (a `SecretString`); a map of keys by id is {"*": leaf}."""
    text = open(config_rs, encoding="utf-8").read()
    structs = {}
    for match in re.finditer(r"pub struct (\w+)\s*\{(.*?)\n\}", text, re.S):
        fields = dict(re.findall(r"^\s*pub (\w+): ([^\n]+?),?\s*$", match.group(2), re.M))
        structs[match.group(1)] = fields

    def tree(name, seen=()):
        node = {}
        for field, type_ in structs[name].items():
            leaf = "secret" if "SecretString" in type_ else "plain"
            nested = [t for t in re.findall(r"\w+", type_) if t in structs and t not in seen]
            if "BTreeMap" in type_ or "HashMap" in type_:
                node[field] = {"*": leaf}
            elif nested:
                node[field] = tree(nested[-1], seen + (name,))
            else:
                node[field] = leaf
        return node

    return tree("Settings")


# The operators' names (config.rs, `overrides`) of settings that are secrets.
SECRET_NAMES = {"DATABASE_URL", "DATABASE_READ_URL", "REDIS_URL"}


def check_setting_name(name, tree, sources, errors, where, plain_value=False):
    """`name` must be a setting the service reads; given as a plain value (a
    ConfigMap's, or `value:` in a manifest) it must not be a secret."""
    if name.startswith("CARGOPARTS__"):
        node = tree
        for part in name[len("CARGOPARTS__"):].lower().split("__"):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, dict) and "*" in node:
                node = node["*"]
            else:
                fail(errors, f"{where}: {name} names no setting of src/platform/config.rs")
                return
        if isinstance(node, dict):
            fail(errors, f"{where}: {name} names a section, not a setting")
        secret = node == "secret"
    elif f'"{name}"' not in sources:
        fail(errors, f"{where}: the service never reads {name}")
        return
    else:
        secret = name in SECRET_NAMES
    if secret and plain_value:
        fail(errors, f"{where}: {name} is a secret: reference it from a Secret")


# ---------------------------------------------------------------- rendered manifests


def load(paths):
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs += [(path, d) for d in yaml.safe_load_all(f) if d]
    return docs


def pod_spec(doc):
    if doc.get("kind") in PODS:
        return doc["spec"]["template"]["spec"]
    return None


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def secret_refs(container):
    """The Secret keys a container reads, and the Secrets it takes whole."""
    keys = set()
    for entry in container.get("env", []):
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            keys.add((entry["name"], ref["name"], ref["key"], bool(ref.get("optional"))))
    whole = {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
    return keys, whole


def check_rendered(docs, tree, sources, errors):
    by_kind = {}
    for path, doc in docs:
        by_kind.setdefault(doc["kind"], []).append((path, doc))
        where = f"{path}: {doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "Secret":
            fail(errors, f"{where}: Secrets are created in the cluster, never kept in the repository")
        if doc["kind"] == "ServiceAccount" and doc.get("automountServiceAccountToken") is not False:
            fail(errors, f"{where}: automountServiceAccountToken must be false")
        if doc["kind"] == "ConfigMap":
            for key in doc.get("data", {}):
                check_setting_name(key, tree, sources, errors, where, plain_value=True)
        spec = pod_spec(doc)
        if spec is None:
            continue
        check_pod(where, spec, tree, sources, errors)

    configmaps = {d["metadata"]["name"]: d.get("data", {}) for _, d in by_kind.get("ConfigMap", [])}
    deployments = {d["metadata"]["name"]: (p, d) for p, d in by_kind.get("Deployment", [])}
    for name in ("cargoparts-api", "cargoparts-worker"):
        if name not in deployments:
            fail(errors, f"no Deployment {name}")
    if "cargoparts-api" in deployments and "cargoparts-worker" in deployments:
        check_same_secrets(deployments, errors)
        check_api(*deployments["cargoparts-api"], configmaps, errors)
    jobs = [d for _, d in by_kind.get("Job", [])]
    if not any(d["spec"]["template"]["spec"]["containers"][0].get("args") == ["migrate"] for d in jobs):
        fail(errors, "no Job runs `cargoparts migrate`")


def check_pod(where, spec, tree, sources, errors):
    if spec.get("automountServiceAccountToken") is not False:
        fail(errors, f"{where}: automountServiceAccountToken must be false")
    pod_security = spec.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True or pod_security.get("runAsUser") != 10001:
        fail(errors, f"{where}: must run as the image's user 10001, not root")
    for container in spec["containers"]:
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            fail(errors, f"{where}: {container['name']} needs a read-only root filesystem")
        if security.get("allowPrivilegeEscalation") is not False:
            fail(errors, f"{where}: {container['name']} must not allow privilege escalation")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            fail(errors, f"{where}: {container['name']} must drop all capabilities")
        resources = container.get("resources", {})
        if not resources.get("requests") or not resources.get("limits", {}).get("memory"):
            fail(errors, f"{where}: {container['name']} needs resource requests and a memory limit")
        for name, entry in env_of(container).items():
            check_setting_name(name, tree, sources, errors, where, plain_value="value" in entry)


def check_same_secrets(deployments, errors):
    api = secret_refs(deployments["cargoparts-api"][1]["spec"]["template"]["spec"]["containers"][0])
    worker = secret_refs(deployments["cargoparts-worker"][1]["spec"]["template"]["spec"]["containers"][0])
    if api != worker:
        only_api = sorted(map(str, (api[0] - worker[0]) | (api[1] - worker[1])))
        only_worker = sorted(map(str, (worker[0] - api[0]) | (worker[1] - api[1])))
        fail(errors, f"the API and the worker must read the same Secrets: API only {only_api}, worker only {only_worker}")


def check_api(path, doc, configmaps, errors):
    where = f"{path}: Deployment/cargoparts-api"
    template = doc["spec"]["template"]
    container = template["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    settings = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            settings.update(configmaps.get(source["configMapRef"]["name"], {}))
    settings.update({e["name"]: e.get("value") for e in container.get("env", []) if "value" in e})

    def port_of(setting):
        value = settings.get(setting) or ""
        return int(value.rsplit(":", 1)[1]) if ":" in value else None

    if port_of("CARGOPARTS_BIND") != ports.get("http"):
        fail(errors, f"{where}: the http port is not CARGOPARTS_BIND's")
    if port_of("CARGOPARTS__METRICS__BIND") != ports.get("metrics"):
        fail(errors, f"{where}: the metrics port is not CARGOPARTS__METRICS__BIND's")
    annotations = template["metadata"].get("annotations", {})
    if str(ports.get("metrics")) != annotations.get("prometheus.io/port"):
        fail(errors, f"{where}: prometheus.io/port is not the metrics port")
    for probe, path_ in (("startupProbe", "/api/ready"), ("livenessProbe", "/api/health"), ("readinessProbe", "/api/ready")):
        get = container.get(probe, {}).get("httpGet", {})
        if get.get("path") != path_ or get.get("port") not in ports:
            fail(errors, f"{where}: {probe} must ask {path_} on a port of the container")
    mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
    if settings.get("CARGOPARTS_INDEX_DIR") not in mounts:
        fail(errors, f"{where}: CARGOPARTS_INDEX_DIR is not a mounted volume")
    if settings.get("CARGOPARTS__JOBS__CONCURRENCY") != "0":
        fail(errors, f"{where}: the API replicas run no jobs (CARGOPARTS__JOBS__CONCURRENCY=0)")
    if settings.get("CARGOPARTS_ENV") != "production":
        fail(errors, f"{where}: CARGOPARTS_ENV must be production")


# ---------------------------------------------------------------- without a renderer


def kustomization(directory):
    with open(os.path.join(directory, "kustomization.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def env_file(path):
    pairs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                pairs[key] = value
    return pairs


def check_unrendered(base, overlay, tree, sources, errors):
    """The base's resources with its generated ConfigMap checked as a whole; the
    overlay's resources on their own; its patches and merges against the base."""
    base_k = kustomization(base)
    docs = load([os.path.join(base, r) for r in base_k["resources"]])
    for generator in base_k.get("configMapGenerator", []):
        data = {}
        for env in generator.get("envs", []):
            data.update(env_file(os.path.join(base, env)))
        docs.append((os.path.join(base, "kustomization.yaml"),
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data}))
    overlay_k = kustomization(overlay)
    merged = {}
    for generator in overlay_k.get("configMapGenerator", []):
        if generator.get("behavior") == "merge":
            target = next((d for _, d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == generator["name"]), None)
            if target is None:
                fail(errors, f"{overlay}: configMapGenerator merges into {generator['name']}, which the base does not generate")
                continue
            for env in generator.get("envs", []):
                merged.update(env_file(os.path.join(overlay, env)))
            target["data"].update(merged)
    check_rendered(docs, tree, sources, errors)

    resources = {(d["kind"], d["metadata"]["name"]) for _, d in docs}
    for resource in overlay_k.get("resources", []):
        path = os.path.join(overlay, resource)
        if os.path.isdir(path):
            if os.path.realpath(path) != os.path.realpath(base):
                fail(errors, f"{overlay}: {resource} is not the base checked here")
        else:
            resources |= {(d["kind"], d["metadata"]["name"]) for _, d in load([path])}
    for patch in overlay_k.get("patches", []):
        for _, doc in load([os.path.join(overlay, patch["path"])]):
            if (doc["kind"], doc["metadata"]["name"]) not in resources:
                fail(errors, f"{overlay}/{patch['path']}: patches {doc['kind']}/{doc['metadata']['name']}, which does not exist")
            base_doc = next((d for _, d in docs if (d["kind"], d["metadata"]["name"]) == (doc["kind"], doc["metadata"]["name"])), None)
            if base_doc is not None:
                check_patch_names(doc, base_doc, f"{overlay}/{patch['path']}", errors)
    for replica in overlay_k.get("replicas", []):
        if ("Deployment", replica["name"]) not in resources:
            fail(errors, f"{overlay}: replicas names {replica['name']}, which does not exist")
    for image in overlay_k.get("images", []):
        used = {c["image"] for _, d in docs if pod_spec(d) for c in pod_spec(d)["containers"]}
        if image["name"] not in used:
            fail(errors, f"{overlay}: images names {image['name']}, which no container runs")


def check_patch_names(patch, base, where, errors):
    """A patched container or volume of a pod template must exist: a misspelt name
    would silently add a new one."""
    if not patch.get("spec", {}).get("template") or pod_spec(base) is None:
        return
    patch_spec, base_spec = pod_spec(patch), pod_spec(base)
    for field in ("containers", "volumes"):
        known = {item["name"] for item in base_spec.get(field, [])}
        for item in patch_spec.get(field, []):
            if item["name"] not in known:
                fail(errors, f"{where}: {field[:-1]} {item['name']} is not in the base's {base['metadata']['name']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", required=True, help="the service's src/ directory")
    parser.add_argument("--unrendered", nargs=2, metavar=("BASE", "OVERLAY"))
    parser.add_argument("rendered", nargs="*")
    args = parser.parse_args()
    tree = settings_tree(os.path.join(args.src, "platform", "config.rs"))
    sources = "".join(open(p, encoding="utf-8").read() for p in glob.glob(os.path.join(args.src, "**", "*.rs"), recursive=True))
    errors = []
    if args.unrendered:
        check_unrendered(*args.unrendered, tree, sources, errors)
    for path in args.rendered:
        check_rendered(load([path]), tree, sources, errors)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
