// Checks that a rendered overlay probes X-Road's health check the way X-Road's Sidecar manifest
// probes its secondaries: the roadside container of Deployment `name` has a readinessProbe
// `httpGet: {path: /, port: 5588}`. Usage: node xroad_probe.mjs rendered.yaml name; exits 1
// and says what it found otherwise.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const [file, name] = process.argv.slice(2);
const deployment = parseAllDocuments(readFileSync(file, "utf8"))
  .map((d) => d.toJS())
  .find((o) => o?.kind === "Deployment" && o.metadata?.name === name);
const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === "roadside");
const probe = container?.readinessProbe?.httpGet;
if (!probe || probe.path !== "/" || probe.port !== 5588) {
  console.log(`${file}: Deployment ${name}: no readiness probe in X-Road's Sidecar form (httpGet / on 5588); ` +
              `found ${JSON.stringify(container?.readinessProbe ?? (deployment ? "no probe" : "no such Deployment"))}`);
  process.exit(1);
}
console.log(`${file}: Deployment ${name}: readiness probe in X-Road's Sidecar form (GET / on 5588)`);
