/**
 * What a pod asks of a node (upstream `resourcehelper.PodRequests` as the
 * NodeResourcesFit plugin uses it): the sum of its containers' requests, at
 * least the largest init container (plus the sidecars started before it),
 * plus `spec.overhead`; and the "non-zero" variant scoring uses, where a
 * container without a cpu or memory request counts 100m and 200Mi.
 */
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { resourceValue } from '../api/quantity.js';

/** Millicores, bytes and counts of one pod or one node. `scalar` holds extended resources (`nvidia.com/gpu`, `hugepages-2Mi`). */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  scalar: Map<string, number>;
}

/** A pod's requests as the scheduler counts them. */
export interface PodRequests extends Resources {
  /** cpu with 100m for containers that request none (scoring only). */
  nonZeroMilliCPU: number;
  /** memory with 200Mi for containers that request none (scoring only). */
  nonZeroMemory: number;
}

/** Upstream `DefaultMilliCPURequest`. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Upstream `DefaultMemoryRequest` (200 MiB). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** An empty vector. */
export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() };
}

/** Whether the scheduler checks `name` as a scalar resource: extended (`domain/name` outside `kubernetes.io/`) or hugepages. */
export function isScalarResource(name: string): boolean {
  if (name.startsWith('hugepages-')) return true;
  if (!name.includes('/')) return false;
  return !name.startsWith('kubernetes.io/') && !name.includes('.kubernetes.io/') && !name.startsWith('requests.');
}

type Vec = PodRequests;

/** Shared by vectors without extended resources; never written (see `setScalar`). */
const NO_SCALAR: Map<string, number> = new Map();

function zero(): Vec {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: NO_SCALAR, nonZeroMilliCPU: 0, nonZeroMemory: 0 };
}

function setScalar(v: Vec, k: string, x: number): void {
  if (v.scalar === NO_SCALAR) v.scalar = new Map();
  v.scalar.set(k, x);
}

/** Adds a container's requests list to `v` (`max` instead of add when `takeMax`). */
function accumulate(v: Vec, list: Record<string, string | number> | undefined, takeMax: boolean): void {
  let cpu = 0;
  let mem = 0;
  let eph = 0;
  let cpuSet = false;
  let memSet = false;
  if (list) {
    for (const name in list) {
      const q = list[name]!;
      if (name === 'cpu') {
        cpu = resourceValue(name, q);
        cpuSet = true;
      } else if (name === 'memory') {
        mem = resourceValue(name, q);
        memSet = true;
      } else if (name === 'ephemeral-storage') eph = resourceValue(name, q);
      else if (isScalarResource(name)) {
        const x = resourceValue(name, q);
        const cur = v.scalar.get(name) ?? 0;
        setScalar(v, name, takeMax ? Math.max(cur, x) : cur + x);
      }
    }
  }
  const nzCpu = cpuSet ? cpu : DEFAULT_MILLI_CPU_REQUEST;
  const nzMem = memSet ? mem : DEFAULT_MEMORY_REQUEST;
  if (takeMax) {
    v.milliCPU = Math.max(v.milliCPU, cpu);
    v.memory = Math.max(v.memory, mem);
    v.ephemeralStorage = Math.max(v.ephemeralStorage, eph);
    v.nonZeroMilliCPU = Math.max(v.nonZeroMilliCPU, nzCpu);
    v.nonZeroMemory = Math.max(v.nonZeroMemory, nzMem);
  } else {
    v.milliCPU += cpu;
    v.memory += mem;
    v.ephemeralStorage += eph;
    v.nonZeroMilliCPU += nzCpu;
    v.nonZeroMemory += nzMem;
  }
}

function add(a: Vec, b: Vec): void {
  a.milliCPU += b.milliCPU;
  a.memory += b.memory;
  a.ephemeralStorage += b.ephemeralStorage;
  a.nonZeroMilliCPU += b.nonZeroMilliCPU;
  a.nonZeroMemory += b.nonZeroMemory;
  for (const [k, x] of b.scalar) setScalar(a, k, (a.scalar.get(k) ?? 0) + x);
}

function max(a: Vec, b: Vec): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  a.nonZeroMilliCPU = Math.max(a.nonZeroMilliCPU, b.nonZeroMilliCPU);
  a.nonZeroMemory = Math.max(a.nonZeroMemory, b.nonZeroMemory);
  for (const [k, x] of b.scalar) setScalar(a, k, Math.max(a.scalar.get(k) ?? 0, x));
}

function requestsOf(c: Container): Vec {
  const v = zero();
  accumulate(v, c.resources?.requests as Record<string, string | number> | undefined, false);
  return v;
}

/**
 * The pod's effective requests. Init containers run one after another, so the pod
 * needs the larger of (sum of app containers + sidecars) and (each init container
 * + the sidecars started before it).
 *
 * @example
 * podRequests({ containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] }).milliCPU // 1000
 */
export function podRequests(spec: Pick<PodSpec, 'containers' | 'initContainers' | 'overhead'>): PodRequests {
  const sum = zero();
  for (const c of spec.containers ?? []) accumulate(sum, c.resources?.requests as Record<string, string | number> | undefined, false);
  if (!spec.initContainers?.length && !spec.overhead) return sum;
  const sidecars = zero();
  const initMax = zero();
  for (const c of spec.initContainers ?? []) {
    const r = requestsOf(c);
    if (c.restartPolicy === 'Always') {
      add(sum, r);
      add(sidecars, r);
      max(initMax, sidecars);
    } else {
      const t = r;
      add(t, sidecars);
      max(initMax, t);
    }
  }
  max(sum, initMax);
  if (spec.overhead) {
    // Overhead is not a container: it adds no non-zero defaults.
    const o = zero();
    accumulate(o, spec.overhead as Record<string, string | number>, false);
    o.nonZeroMilliCPU = o.milliCPU;
    o.nonZeroMemory = o.memory;
    add(sum, o);
  }
  return sum;
}

/** One host port a pod wants: protocol (default TCP), hostIP (default 0.0.0.0) and port. */
export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
}

/** Host ports of the app containers and sidecars (upstream NodePorts `getContainerPorts`). */
export function podHostPorts(pod: Pick<Pod, 'spec'>): HostPort[] {
  const out: HostPort[] = [];
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ protocol: p.protocol || 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}
