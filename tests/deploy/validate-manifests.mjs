// Checks one rendered kustomization (the YAML stream `kubectl kustomize` prints) offline:
// every object against the Kubernetes OpenAPI schema of its kind (kubernetes-models), with
// fields the schema does not know reported as the API server's strict field validation would,
// then the project's own rules (probes, non-root, resources, selectors, one image tag,
// references, volume claims, the addresses in the configs) and, given the binary, the configs
// read by the real thing: `switchboard gateway --check` on the gateway's ConfigMap and a
// `switchboard serve` on loopback with the system one. Prints one line per failure; exit
// status 1 when any.
//
//   node validate-manifests.mjs --name dev --file dev.yaml [--external NAME]...
//        [--switchboard BINARY --descriptors FILE.pb]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);

// The rendered stream of the largest overlay is about 60 KiB; anything far past that is not
// what kustomize made of deploy/.
const kMaxInputBytes = 4 * 1024 * 1024;
const kMaxObjects = 500;
const kGatewayCheckTimeoutMs = 30000;
// `switchboard serve` with the system ConfigMap: its config is read before anything else, and
// the process says `serving` within a second or two once it was accepted.
const kServeTimeoutMs = 15000;
const kStopTimeoutMs = 5000;
// A service that reads the system config but needs neither the store nor the bus to start.
const kProbeService = 'fraud';
// The one image every container of the system runs (deploy/base/kustomization.yaml images:).
const kSwitchboardImage = /(^|\/)switchboard(:|$)/;
const kWorkloadKinds = new Set(['Deployment', 'StatefulSet']);
// The API versions Kubernetes 1.30 and later serve for what deploy/ may hold; kubernetes-models
// also has removed ones (apps/v1beta1, policy/v1beta1), which a cluster would refuse.
const kServedApiVersions = new Set([
  'v1', 'apps/v1', 'batch/v1', 'policy/v1', 'autoscaling/v2', 'networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1',
]);
// The file names the base's ConfigMaps hold the two configurations under.
const kGatewayConfigKey = 'gateway.yaml';
const kSystemConfigKey = 'system.yaml';
// What a failure about the render as a whole is reported against.
const kAnyConfigMap = { kind: 'ConfigMap', metadata: { name: '*' } };

function parseArgs(argv) {
  const args = { external: new Set() };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: missing its value`);
    if (flag === '--name') args.name = value;
    else if (flag === '--file') args.file = value;
    else if (flag === '--external') args.external.add(value);
    else if (flag === '--switchboard') args.switchboard = value;
    else if (flag === '--descriptors') args.descriptors = value;
    else throw new Error(`unknown argument "${flag}"`);
  }
  if (!args.name || !args.file) throw new Error('--name and --file are required');
  if (!!args.switchboard !== !!args.descriptors) {
    throw new Error('--switchboard and --descriptors go together');
  }
  return args;
}

function readObjects(file) {
  const size = fs.statSync(file).size;
  if (size > kMaxInputBytes) throw new Error(`${file}: ${size} bytes, over ${kMaxInputBytes}`);
  const documents = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(documents)) throw new Error(`${file}: not a YAML stream`);
  const objects = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    const object = document.toJS();
    if (object !== null) objects.push(object);
  }
  if (objects.length > kMaxObjects) {
    throw new Error(`${file}: ${objects.length} objects, over ${kMaxObjects}`);
  }
  return objects;
}

// The schema validator kubernetes-models compiled for apiVersion/kind, or null when it has no
// such kind. Its model module names the validator it uses; the package's export map hides the
// _schemas folder, so the file is loaded by its path.
function schemaValidator(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^\w+$/.test(kind)) {
    return null;
  }
  let modelFile;
  try {
    modelFile = require.resolve(`kubernetes-models/${apiVersion}/${kind}`);
  } catch {
    return null;
  }
  const source = fs.readFileSync(modelFile, 'utf8');
  const match = source.match(/require\("((?:\.\.\/)+_schemas\/\w+\.js)"\)/);
  if (!match) return null;
  return require(path.resolve(path.dirname(modelFile), match[1])).validate;
}

// A copy of `value` in which every object records which of its keys were looked at, so that
// the keys the schema validator never read are the ones the schema does not know.
function trackReads(value, where, tracked) {
  if (value === null || typeof value !== 'object') return value;
  const read = new Set();
  const copy = Array.isArray(value)
    ? value.map((item, i) => trackReads(item, `${where}/${i}`, tracked))
    : Object.fromEntries(Object.entries(value).map(
        ([key, item]) => [key, trackReads(item, `${where}/${key}`, tracked)]));
  if (!Array.isArray(value)) tracked.push({ where, keys: Object.keys(value), read });
  const note = (key) => {
    if (typeof key === 'string') read.add(key);
  };
  return new Proxy(copy, {
    get(target, key, receiver) {
      note(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      note(key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      note(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}

function describe(object) {
  const name = object?.metadata?.name ?? '<no name>';
  return `${object?.kind ?? '<no kind>'} ${name}`;
}

function checkSchema(object, fail) {
  if (!kServedApiVersions.has(object.apiVersion)) {
    fail(object, `apiVersion "${object.apiVersion}" is not one Kubernetes 1.30+ serves`);
    return;
  }
  const validate = schemaValidator(object.apiVersion, object.kind);
  if (!validate) {
    fail(object,
         `no Kubernetes schema for apiVersion "${object.apiVersion}" kind "${object.kind}"`);
    return;
  }
  const tracked = [];
  if (!validate(trackReads(object, '', tracked))) {
    for (const error of validate.errors ?? []) {
      const detail = error.message ?? `${error.keyword} ${JSON.stringify(error.params)}`;
      fail(object, `schema: ${error.instancePath || '/'} ${detail}`);
    }
    return;  // an invalid part may stop the validator before it reads the rest
  }
  // Outermost first, so what lies under an unknown field is not reported again.
  const unknown = [];
  tracked.sort((a, b) => a.where.length - b.where.length);
  for (const { where, keys, read } of tracked) {
    if (unknown.some((field) => where === field || where.startsWith(`${field}/`))) continue;
    for (const key of keys.filter((k) => !read.has(k))) {
      unknown.push(`${where}/${key}`);
      fail(object, `schema: ${where}/${key} is not a field of ${object.kind}`);
    }
  }
}

function podSpec(object) {
  return kWorkloadKinds.has(object.kind) ? object.spec?.template?.spec : undefined;
}

function podLabels(object) {
  return object.spec?.template?.metadata?.labels ?? {};
}

function containersOf(object) {
  const spec = podSpec(object);
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

// A `switchboard serve <service>` container: its service's name, else undefined.
function servedService(container) {
  const args = container.args ?? [];
  return kSwitchboardImage.test(container.image ?? '') && args[0] === 'serve' ? args[1] : undefined;
}

// A volume claim is ReadWriteOnce storage of one pod: a Deployment holding one runs one pod
// and replaces it by stopping it first, or two pods would write one SQLite file (or one would
// wait forever for the volume on another node).
function checkClaims(object, fail) {
  if (object.kind !== 'Deployment') return;
  const claims = (podSpec(object).volumes ?? []).filter((volume) => volume.persistentVolumeClaim);
  if (claims.length === 0) return;
  const names = claims.map((volume) => volume.persistentVolumeClaim.claimName).join(', ');
  if ((object.spec.replicas ?? 1) !== 1) {
    fail(object, `${object.spec.replicas} replicas share the volume claim ${names}`);
  }
  if (object.spec.strategy?.type !== 'Recreate') {
    fail(object, `holds the volume claim ${names} but is not replaced with strategy Recreate`);
  }
}

function checkWorkload(object, fail) {
  checkClaims(object, fail);
  const spec = podSpec(object);
  const pod = spec.securityContext ?? {};
  for (const container of spec.containers ?? []) {
    const name = `container ${container.name}`;
    if (!container.readinessProbe) fail(object, `${name} has no readinessProbe`);
    if (!container.livenessProbe) fail(object, `${name} has no livenessProbe`);
    const own = container.securityContext ?? {};
    const nonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
    const user = own.runAsUser ?? pod.runAsUser;
    if (nonRoot !== true) fail(object, `${name} does not set runAsNonRoot: true`);
    if (user === 0) fail(object, `${name} runs as uid 0`);
    if (own.allowPrivilegeEscalation !== false) {
      fail(object, `${name} does not set allowPrivilegeEscalation: false`);
    }
    for (const kind of ['requests', 'limits']) {
      const resources = container.resources?.[kind] ?? {};
      if (!resources.cpu || !resources.memory) {
        fail(object, `${name} has no cpu and memory ${kind}`);
      }
    }
    const service = servedService(container);
    if (service === undefined) continue;
    // A service's pods are ready while grpc.health.v1 says that service is SERVING.
    const ports = (container.ports ?? []).map((port) => port.containerPort);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const grpc = container[probe]?.grpc;
      if (!grpc) {
        fail(object, `${name} serves ${service}: its ${probe} must be a grpc probe`);
      } else if (!ports.includes(grpc.port)) {
        fail(object, `${name}: ${probe} port ${grpc.port} is not a container port (${ports})`);
      }
    }
    const wanted = new RegExp(`^switchboard\\.${service}\\.v1\\.\\w+Service$`);
    const asked = container.readinessProbe?.grpc?.service;
    if (asked !== undefined && !wanted.test(asked)) {
      fail(object, `${name}: readinessProbe asks for "${asked}", not ${service}'s gRPC service`);
    }
  }
}

function matches(selector, labels) {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function checkServices(objects, fail) {
  const workloads = objects.filter((object) => kWorkloadKinds.has(object.kind));
  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      fail(service, 'has no selector');
      continue;
    }
    const selected = workloads.filter(
      (workload) => workload.metadata?.namespace === service.metadata?.namespace &&
                    matches(selector, podLabels(workload)));
    if (selected.length === 0) {
      fail(service,
           `selector ${JSON.stringify(selector)} matches no Deployment's or StatefulSet's pods`);
      continue;
    }
    const portNames = new Set(
      selected.flatMap(containersOf).flatMap((c) => (c.ports ?? []).map((p) => p.name)));
    for (const port of service.spec.ports ?? []) {
      if (typeof port.targetPort === 'string' && !portNames.has(port.targetPort)) {
        fail(service, `targetPort "${port.targetPort}" is no port name of the pods it selects`);
      }
    }
    // grpc++ balances per call over dns:/// only when DNS names every pod (headless).
    const serves = selected.some((workload) => containersOf(workload).some(servedService));
    if (serves && service.spec.clusterIP !== 'None') {
      fail(service, 'selects `switchboard serve` pods but is not headless (clusterIP: None)');
    }
  }
  const edges = objects.filter((object) => object.kind === 'Service' &&
                                           object.spec?.type === 'LoadBalancer');
  if (edges.length !== 1) {
    fail({ kind: 'Service', metadata: { name: '*' } },
         `${edges.length} LoadBalancer Services; the gateway alone should be one`);
  }
}

function checkImages(objects, fail) {
  const switchboard = new Set();
  for (const workload of objects.filter((object) => kWorkloadKinds.has(object.kind))) {
    for (const container of containersOf(workload)) {
      const image = container.image ?? '';
      const tag = image.includes('@') ? 'digest' : image.split('/').pop().split(':')[1];
      if (!tag || tag === 'latest') {
        fail(workload, `container ${container.name}: image "${image}" has no fixed tag`);
      }
      if (kSwitchboardImage.test(image)) switchboard.add(image);
    }
  }
  if (switchboard.size !== 1) {
    fail({ kind: 'image', metadata: { name: 'switchboard' } },
         `the system's containers run ${switchboard.size} different images ` +
         `(${[...switchboard].join(', ')}); one tag for all`);
  }
}

// Every ConfigMap, Secret and volume claim a pod names exists in the render (kustomize renames
// generated ones with a hash and rewrites the references; a missed reference is a pod that
// never starts), except those the overlay says are made outside it.
function checkReferences(objects, external, fail) {
  const present = new Set(objects.map((object) => `${object.kind}/${object.metadata?.name}`));
  for (const workload of objects.filter((object) => kWorkloadKinds.has(object.kind))) {
    const named = [];
    for (const volume of podSpec(workload).volumes ?? []) {
      if (volume.configMap) named.push(['ConfigMap', volume.configMap.name]);
      if (volume.secret) named.push(['Secret', volume.secret.secretName]);
      if (volume.persistentVolumeClaim) {
        named.push(['PersistentVolumeClaim', volume.persistentVolumeClaim.claimName]);
      }
    }
    for (const container of containersOf(workload)) {
      for (const env of container.env ?? []) {
        const from = env.valueFrom ?? {};
        if (from.configMapKeyRef) named.push(['ConfigMap', from.configMapKeyRef.name]);
        if (from.secretKeyRef) named.push(['Secret', from.secretKeyRef.name]);
      }
    }
    for (const [kind, name] of named) {
      if (!present.has(`${kind}/${name}`) && !external.has(name)) {
        fail(workload, `names ${kind} "${name}", which is not in this render`);
      }
    }
  }
}

function configFile(objects, key) {
  const found = objects.filter((object) => object.kind === 'ConfigMap' && object.data?.[key]);
  return found.length === 1 ? found[0] : undefined;
}

// host:port names a Service of this render with that port.
function checkAddress(objects, owner, what, address, fail) {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  const service = objects.find(
      (object) => object.kind === 'Service' && object.metadata.name === host);
  if (!service) {
    fail(owner, `${what} "${address}": no Service named "${host}"`);
  } else if (!(service.spec.ports ?? []).some((p) => p.port === port)) {
    fail(owner, `${what} "${address}": Service ${host} has no port ${port}`);
  }
}

function checkGateway(objects, args, fail) {
  const configMap = configFile(objects, kGatewayConfigKey);
  if (!configMap) {
    fail(kAnyConfigMap, `no single ConfigMap holds ${kGatewayConfigKey}`);
    return;
  }
  const text = configMap.data[kGatewayConfigKey];
  const config = parseAllDocuments(text)[0].toJS();
  for (const [service, block] of Object.entries(config.services ?? {})) {
    for (const backend of block.backends ?? []) {
      const address = typeof backend === 'string' ? backend : backend.address;
      checkAddress(objects, configMap, `${service} backend`, address, fail);
    }
  }
  if (!args.switchboard) return;
  // The real gateway reads the file, with the image's descriptor set at the build's path.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-deploy-'));
  try {
    const file = path.join(dir, kGatewayConfigKey);
    const descriptors = (config.descriptors ?? []).map(() => args.descriptors);
    const local = text.replace(/^descriptors:.*$/m, `descriptors: ${JSON.stringify(descriptors)}`)
                      .replace(/^static:.*$/m, '');
    fs.writeFileSync(file, local);
    const run = spawnSync(args.switchboard, ['gateway', '--check', '--config', file],
                          { encoding: 'utf8', timeout: kGatewayCheckTimeoutMs });
    if (run.status !== 0) {
      const why = (run.stderr || run.stdout || String(run.error ?? run.signal)).trim();
      fail(configMap, `switchboard gateway --check: ${why}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Runs `switchboard serve` on loopback with the system config: empty when it starts serving
// (then it is stopped), else why not. Every bad key or value stops it at once, naming it.
function serveWith(binary, configText) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-deploy-'));
  const file = path.join(dir, kSystemConfigKey);
  fs.writeFileSync(file, configText);
  const child = spawn(binary, ['serve', kProbeService, '--config', file, '--host', '127.0.0.1',
                               '--port', '0', '--data-dir', path.join(dir, 'data')],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve) => {
    let verdict;
    const stop = setTimeout(
        () => finish(`not serving within ${kServeTimeoutMs} ms`), kServeTimeoutMs);
    let kill;
    function finish(why) {
      if (verdict !== undefined) return;
      verdict = why;
      clearTimeout(stop);
      // 'close' follows the exit, whichever way it comes, and settles the promise.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        kill = setTimeout(() => child.kill('SIGKILL'), kStopTimeoutMs);
      }
    }
    const read = (chunk) => {
      output += chunk;
      if (/ serving service=/.test(output)) finish('');
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', (error) => finish(error.message));
    child.on('exit', (code, signal) => finish(`exited (${code ?? signal}): ${output.trim()}`));
    child.on('close', () => {
      clearTimeout(kill);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(verdict);
    });
  });
}

async function checkSystemConfig(objects, args, fail) {
  const configMap = configFile(objects, kSystemConfigKey);
  if (!configMap) {
    fail(kAnyConfigMap, `no single ConfigMap holds ${kSystemConfigKey}`);
    return;
  }
  const text = configMap.data[kSystemConfigKey];
  const config = parseAllDocuments(text)[0].toJS() ?? {};
  if (config.xds) checkAddress(objects, configMap, 'xds', config.xds, fail);
  // A bare host name (no dot) is a Service of this namespace, so of this render; a longer one
  // is a server outside (the production overlay's).
  const servers = [['bus.url', config.bus?.url],
                   ['store', typeof config.store === 'object' ? config.store?.url : config.store]];
  for (const [key, url] of servers) {
    const address = url?.match(/^[a-z]+:\/\/(?:[^@/]*@)?([^/?]+)/)?.[1];
    if (address && !address.includes('.')) checkAddress(objects, configMap, key, address, fail);
  }
  if (!args.switchboard) return;
  const problem = await serveWith(args.switchboard, text);
  if (problem) fail(configMap, `switchboard serve ${kProbeService} with it: ${problem}`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const objects = readObjects(args.file);
  const failures = [];
  const fail = (object, message) => failures.push(`${args.name}: ${describe(object)}: ${message}`);
  for (const object of objects) {
    checkSchema(object, fail);
    if (podSpec(object)) checkWorkload(object, fail);
  }
  checkServices(objects, fail);
  checkImages(objects, fail);
  checkReferences(objects, args.external, fail);
  checkGateway(objects, args, fail);
  await checkSystemConfig(objects, args, fail);
  for (const line of failures) console.log(`FAIL ${line}`);
  const kinds = new Set(objects.map((object) => object.kind));
  console.log(`${args.name}: ${objects.length} objects (${[...kinds].sort().join(', ')}), ` +
              `${failures.length} problems`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error) => {
    console.error(`validate-manifests: ${error.message}`);
    process.exitCode = 2;
  });
