// Validates rendered Kubernetes manifests (a multi-document YAML file) two ways:
//  1. every object against the Kubernetes OpenAPI schema of its kind (kubernetes-models);
//  2. Roadside's own rules: Pods meet the restricted Pod Security Standard, Roadside
//     containers have probes, resources and a read-only root filesystem, every namespace
//     is labelled restricted and has a deny-by-default NetworkPolicy.
// Usage: node validate.mjs rendered.yaml [label]; exits 1 and lists every problem found.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const [file, label = file] = process.argv.slice(2);
const problems = [];
const docs = parseAllDocuments(readFileSync(file, "utf8"));
const objects = [];
for (const doc of docs) {
  if (doc.errors.length) problems.push(`YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
  const obj = doc.toJS();
  if (obj) objects.push(obj);
}

const where = (o) => `${o.kind ?? "?"}/${o.metadata?.name ?? "?"}`;

// 1. Schemas.
for (const obj of objects) {
  if (!obj.apiVersion || !obj.kind) {
    problems.push(`${where(obj)}: no apiVersion or kind`);
    continue;
  }
  const path = `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
  let Model;
  try {
    ({ [obj.kind]: Model } = await import(path));
    if (!Model) throw new Error("no such export");
  } catch {
    problems.push(`${where(obj)}: unknown kind ${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    problems.push(`${where(obj)}: ${e.message.replace(/\s+/g, " ")}`);
  }
}

// 2. Roadside's rules.
const allowedVolumes = ["configMap", "secret", "emptyDir", "persistentVolumeClaim", "projected", "downwardAPI", "csi", "ephemeral"];
const podSpecs = [];
for (const obj of objects) {
  if (obj.kind === "Pod") podSpecs.push([obj, obj.spec]);
  else if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(obj.kind)) podSpecs.push([obj, obj.spec?.template?.spec]);
}
for (const [obj, spec] of podSpecs) {
  const at = where(obj);
  if (!spec) continue;
  const psc = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${at}: host namespaces are not allowed (restricted)`);
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (!allowedVolumes.includes(type)) problems.push(`${at}: volume ${v.name} of type ${type} is not allowed (restricted)`);
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const cat = `${at} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) problems.push(`${cat}: runAsNonRoot is not true (restricted)`);
    if ((sc.runAsUser ?? psc.runAsUser) === 0) problems.push(`${cat}: runs as UID 0 (restricted)`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${cat}: allowPrivilegeEscalation is not false (restricted)`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) problems.push(`${cat}: capabilities do not drop ALL (restricted)`);
    const added = (sc.capabilities?.add ?? []).filter((x) => x !== "NET_BIND_SERVICE");
    if (added.length) problems.push(`${cat}: adds capabilities ${added} (restricted)`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (!["RuntimeDefault", "Localhost"].includes(seccomp)) problems.push(`${cat}: no RuntimeDefault seccomp profile (restricted)`);
    if (sc.privileged) problems.push(`${cat}: privileged (restricted)`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${cat}: root filesystem is not read-only`);
    if (!c.resources?.requests?.memory || !c.resources?.limits?.memory) problems.push(`${cat}: no memory request and limit`);
    if (c.name === "roadside") {
      if (c.livenessProbe?.httpGet?.path !== "/livez") problems.push(`${cat}: no liveness probe on /livez`);
      // Roadside's /readyz, or X-Road's health check as the Sidecar manifest probes it: any path
      // on the health port (5588) that is not one of Roadside's own.
      const ready = c.readinessProbe?.httpGet;
      if (!ready) problems.push(`${cat}: no readiness probe on /readyz`);
      else if (["/livez", "/metrics"].includes(ready.path ?? "/")) problems.push(`${cat}: no readiness probe on /readyz`);
      else if (ready.path !== "/readyz" && ![5588, "health"].includes(ready.port))
        problems.push(`${cat}: readiness probe on ${ready.path ?? "/"} is not on the health port (5588), so not X-Road's health check`);
    }
  }
}
const namespaces = new Set(objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata?.namespace ?? "(none)"));
for (const ns of namespaces) {
  const nsObj = objects.find((o) => o.kind === "Namespace" && o.metadata?.name === ns);
  if (!nsObj) problems.push(`namespace ${ns}: no Namespace object`);
  else if (nsObj.metadata?.labels?.["pod-security.kubernetes.io/enforce"] !== "restricted")
    problems.push(`namespace ${ns}: not labelled pod-security.kubernetes.io/enforce=restricted`);
  const denyAll = objects.some((o) => o.kind === "NetworkPolicy" && o.metadata?.namespace === ns &&
    Object.keys(o.spec?.podSelector ?? {}).length === 0 && !o.spec?.ingress && !o.spec?.egress &&
    ["Ingress", "Egress"].every((t) => (o.spec?.policyTypes ?? []).includes(t)));
  if (!denyAll) problems.push(`namespace ${ns}: no deny-by-default NetworkPolicy`);
}

if (problems.length) {
  console.log(`${label}: ${problems.length} problem(s) in ${objects.length} objects`);
  for (const p of problems) console.log(`  - ${p}`);
  process.exit(1);
}
const kinds = {};
for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
console.log(`${label}: ${objects.length} objects valid (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")})`);
