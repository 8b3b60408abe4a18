/**
 * The address side of the Service registry (upstream `storage/alloc.go`):
 * IP family fields, ClusterIPs and NodePorts for creates, type changes on
 * updates, release on delete, and a rebuild from stored Services at startup.
 * Every operation is all-or-nothing: on failure nothing stays reserved, and
 * the result carries FieldErrors for `invalid('Service', name, errors)`.
 */

import type { Service } from 'kubernetes-types/core/v1.js';
import { field, internalError, type FieldError } from '../../api/errors.js';
import { goSlice } from '../../api/validation/go-syntax.js';
import { parseIP } from '../../api/validation/names.js';
import { isHeadless, needsHealthCheck, validateClusterIPsRelatedFields } from '../../api/validation/service.js';
import { IPAllocator } from './ip-allocator.js';
import { PortAllocator } from './port-allocator.js';
import { AllocationError, type RandomInt } from './range.js';
import { normalizeClusterIPs, prepareServiceUpdate } from './service-prepare.js';

/** Configuration, as the `--service-cluster-ip-range` and `--service-node-port-range` flags. */
export interface ServiceAllocationsOptions {
  /** Default `127.96.0.0/12`. */
  serviceCIDR?: string;
  /** Default `30000-32767`. */
  nodePortRange?: string;
  /** Random source for dynamic picks (tests). */
  random?: RandomInt;
}

/** Outcome of an allocation. With errors nothing is reserved and `undo`/`commit` do nothing. */
export interface AllocationResult {
  /** Field errors to report as 422 Invalid; empty on success. */
  errors: FieldError[];
  /** Returns everything this operation reserved and takes back what it released (store write failed, dry run). */
  undo(): void;
  /** Forgets the undo log once the object is stored. Optional to call. */
  commit(): void;
}

type Family = 'IPv4' | 'IPv6';

const isNodePortType = (s: Service): boolean => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer';

/** Upstream `shouldAllocateNodePorts`. */
function shouldAllocateNodePorts(s: Service): boolean {
  if (s.spec?.type === 'NodePort') return true;
  if (s.spec?.type === 'LoadBalancer') return s.spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

function nodePortsOf(s: Service): number[] {
  const out = new Set<number>();
  for (const p of s.spec?.ports ?? []) if (p.nodePort) out.add(p.nodePort);
  return [...out];
}

/** A record of reservations and releases, undone in reverse. */
class Txn {
  private readonly log: (() => void)[] = [];
  record(undo: () => void): void {
    this.log.push(undo);
  }
  undo(): void {
    while (this.log.length) this.log.pop()!();
  }
  clear(): void {
    this.log.length = 0;
  }
}

/** Thrown internally to abort with field errors. */
class Abort {
  constructor(readonly errors: FieldError[]) {}
}

/**
 * Service IP and NodePort bookkeeping over an IPAllocator and a PortAllocator.
 * Example: `const a = new ServiceAllocations(); const r = a.allocateCreate(svc);`
 */
export class ServiceAllocations {
  readonly ips: IPAllocator;
  readonly ports: PortAllocator;
  private readonly family: Family;

  constructor(opts: ServiceAllocationsOptions = {}) {
    this.ips = new IPAllocator(opts.serviceCIDR ?? '127.96.0.0/12', { random: opts.random });
    this.ports = new PortAllocator(opts.nodePortRange ?? '30000-32767', { random: opts.random });
    this.family = this.ips.family === 4 ? 'IPv4' : 'IPv6';
  }

  /** The address of the `kubernetes` Service (first usable IP of the range). */
  firstIP(): string {
    return this.ips.firstIP();
  }

  private run(dryRun: boolean, body: (txn: Txn) => void): AllocationResult {
    const txn = new Txn();
    try {
      body(txn);
    } catch (e) {
      txn.undo();
      if (e instanceof Abort) return { errors: e.errors, undo: () => {}, commit: () => {} };
      throw e;
    }
    if (dryRun) {
      txn.undo();
      return { errors: [], undo: () => {}, commit: () => {} };
    }
    return { errors: [], undo: () => txn.undo(), commit: () => txn.clear() };
  }

  private takeIP(txn: Txn, ip: string, svc: Service): void {
    try {
      this.ips.allocate(ip);
    } catch (e) {
      if (!(e instanceof AllocationError)) throw e;
      throw new Abort([field.invalid('spec.clusterIPs', goSlice(svc.spec?.clusterIPs), `failed to allocate IP ${ip}: ${e.message}`)]);
    }
    txn.record(() => this.ips.release(ip));
  }

  private nextIP(txn: Txn): string {
    let ip: string;
    try {
      ip = this.ips.allocateNext();
    } catch (e) {
      if (e instanceof AllocationError) throw internalError(new Error(`failed to allocate a serviceIP: ${e.message}`));
      throw e;
    }
    txn.record(() => this.ips.release(ip));
    return ip;
  }

  private releaseIP(txn: Txn, ip: string): void {
    if (!this.ips.has(ip)) return;
    this.ips.release(ip);
    txn.record(() => {
      if (!this.ips.has(ip)) this.ips.allocate(ip);
    });
  }

  private takePort(txn: Txn, port: number, path: string): void {
    try {
      this.ports.allocate(port);
    } catch (e) {
      if (!(e instanceof AllocationError)) throw e;
      throw new Abort([field.invalid(path, port, e.message)]);
    }
    txn.record(() => this.ports.release(port));
  }

  private nextPort(txn: Txn, what = 'a nodePort'): number {
    let port: number;
    try {
      port = this.ports.allocateNext();
    } catch (e) {
      if (e instanceof AllocationError) throw internalError(new Error(`failed to allocate ${what}: ${e.message}`));
      throw e;
    }
    txn.record(() => this.ports.release(port));
    return port;
  }

  private releasePort(txn: Txn, port: number): void {
    if (!this.ports.has(port)) return;
    this.ports.release(port);
    txn.record(() => {
      if (!this.ports.has(port)) this.ports.allocate(port);
    });
  }

  /** Upstream `initIPFamilyFields` for a single-family cluster. */
  private initIPFamilyFields(svc: Service, old: Service | undefined): void {
    const spec = svc.spec!;
    if (spec.type === 'ExternalName') return;
    if (spec.ipFamilyPolicy === undefined) {
      if (old?.spec?.ipFamilyPolicy) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
      else if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0) spec.ipFamilyPolicy = 'RequireDualStack';
      else spec.ipFamilyPolicy = 'SingleStack';
    }
    const pre = validateClusterIPsRelatedFields(svc);
    if (pre.length) throw new Abort(pre);
    const errs: FieldError[] = [];
    const policy = spec.ipFamilyPolicy;
    if (old) {
      const os = old.spec ?? {};
      if (policy === 'SingleStack') {
        if (JSON.stringify(os.clusterIPs ?? []) === JSON.stringify(spec.clusterIPs ?? []) && (spec.clusterIPs?.length ?? 0) > 1) {
          spec.clusterIPs = spec.clusterIPs!.slice(0, 1);
        }
        if (JSON.stringify(os.ipFamilies ?? []) === JSON.stringify(spec.ipFamilies ?? []) && (spec.ipFamilies?.length ?? 0) > 1) {
          spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
        }
      } else {
        if ((os.clusterIPs?.length ?? 0) === 2 && (spec.clusterIPs?.length ?? 0) === 1) {
          errs.push(field.invalid('spec.ipFamilyPolicy', policy, "must be 'SingleStack' to release the secondary cluster IP"));
        }
        if ((os.ipFamilies?.length ?? 0) === 2 && (spec.ipFamilies?.length ?? 0) === 1) {
          errs.push(field.invalid('spec.ipFamilyPolicy', policy, "must be 'SingleStack' to release the secondary IP family"));
        }
      }
    }
    if (policy === 'SingleStack') {
      if (spec.clusterIPs?.length === 2) {
        errs.push(field.invalid('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
      }
      if (spec.ipFamilies?.length === 2) {
        errs.push(field.invalid('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
      }
    }
    const ips = spec.clusterIPs ?? [];
    for (let i = 0; i < ips.length; i++) {
      const ip = ips[i]!;
      if (ip === 'None') break;
      const fam: Family = parseIP(ip)?.family === 6 ? 'IPv6' : 'IPv4';
      if (i >= (spec.ipFamilies?.length ?? 0)) {
        if (fam !== this.family) errs.push(field.invalid(`spec.clusterIPs[${i}]`, goSlice(ips), `${fam} is not configured on this cluster`));
        else spec.ipFamilies = [...(spec.ipFamilies ?? []), fam];
      }
    }
    if (errs.length) throw new Abort(errs);
    if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0) {
      if (!spec.ipFamilies?.length) spec.ipFamilies = [this.family];
      if (spec.ipFamilies.length < 2 && policy !== 'SingleStack') spec.ipFamilies.push(spec.ipFamilies[0] === 'IPv4' ? 'IPv6' : 'IPv4');
      return;
    }
    if (policy === 'RequireDualStack') errs.push(field.invalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services'));
    (spec.ipFamilies ?? []).forEach((fam, i) => {
      if (fam !== this.family) errs.push(field.invalid(`spec.ipFamilies[${i}]`, fam, 'not configured on this cluster'));
    });
    if (errs.length) throw new Abort(errs);
    if (!spec.ipFamilies?.length) spec.ipFamilies = [this.family];
  }

  /** Upstream `allocClusterIPs`: fills clusterIP/clusterIPs unless ExternalName or headless. */
  private allocClusterIPs(txn: Txn, svc: Service): void {
    const spec = svc.spec!;
    if (spec.type === 'ExternalName') return;
    if (spec.clusterIPs?.[0] === 'None') return;
    const wanted = spec.clusterIPs?.[0] ?? '';
    const ip = wanted === '' ? this.nextIP(txn) : (this.takeIP(txn, wanted, svc), wanted);
    spec.clusterIPs = [ip, ...(spec.clusterIPs ?? []).slice(1)];
    spec.clusterIP = ip;
  }

  /** Upstream `initNodePorts`: ports sharing a number share a nodePort (TCP+UDP 53). */
  private initNodePorts(txn: Txn, svc: Service): void {
    const ports = svc.spec?.ports ?? [];
    const byPort = new Map<number, number>();
    const reserved = new Set<number>();
    ports.forEach((p, i) => {
      if (!p.nodePort && !shouldAllocateNodePorts(svc)) return;
      const shared = byPort.get(p.port);
      if (shared === undefined) {
        const requested = ports.slice(i).find((q) => q.port === p.port && q.nodePort)?.nodePort ?? 0;
        if (requested) {
          if (!reserved.has(requested)) this.takePort(txn, requested, `spec.ports[${i}].nodePort`);
          reserved.add(requested);
          p.nodePort = requested;
          byPort.set(p.port, requested);
        } else {
          const np = this.nextPort(txn);
          reserved.add(np);
          p.nodePort = np;
          byPort.set(p.port, np);
        }
      } else if (p.nodePort !== shared) {
        if (!p.nodePort) p.nodePort = shared;
        else if (!reserved.has(p.nodePort)) {
          this.takePort(txn, p.nodePort, `spec.ports[${i}].nodePort`);
          reserved.add(p.nodePort);
        }
      }
    });
  }

  private allocHealthCheckNodePort(txn: Txn, svc: Service): void {
    const spec = svc.spec!;
    if (spec.healthCheckNodePort) {
      try {
        this.ports.allocate(spec.healthCheckNodePort);
      } catch (e) {
        if (e instanceof AllocationError) {
          throw internalError(new Error(`failed to allocate requested HealthCheck NodePort ${spec.healthCheckNodePort}: ${e.message}`));
        }
        throw e;
      }
      const hc = spec.healthCheckNodePort;
      txn.record(() => this.ports.release(hc));
    } else {
      spec.healthCheckNodePort = this.nextPort(txn, 'a HealthCheck NodePort');
    }
  }

  /**
   * Fills ipFamilyPolicy/ipFamilies, allocates clusterIP(s) (`["None"]` stays
   * headless) and nodePorts for NodePort/LoadBalancer, mutating `svc`.
   * Requested values are checked (range, in use) and reported as field errors,
   * e.g. `spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767`.
   * A full range throws ApiError 500, as upstream.
   */
  allocateCreate(svc: Service, opts: { dryRun?: boolean } = {}): AllocationResult {
    svc.spec ??= {};
    normalizeClusterIPs(svc);
    return this.run(opts.dryRun ?? false, (txn) => {
      this.initIPFamilyFields(svc, undefined);
      this.allocClusterIPs(txn, svc);
      if (isNodePortType(svc)) this.initNodePorts(txn, svc);
      if (needsHealthCheck(svc)) this.allocHealthCheckNodePort(txn, svc);
    });
  }

  /**
   * Update of `old` to `svc` (mutated): keeps allocated values a PUT omitted,
   * allocates clusterIPs when leaving ExternalName and releases them when
   * entering it, allocates nodePorts for NodePort/LoadBalancer and releases
   * those no longer used (all of them on a change to ClusterIP/ExternalName).
   */
  allocateUpdate(old: Service, svc: Service, opts: { dryRun?: boolean } = {}): AllocationResult {
    svc.spec ??= {};
    prepareServiceUpdate(svc, old);
    return this.run(opts.dryRun ?? false, (txn) => {
      this.initIPFamilyFields(svc, old);
      const os = old.spec ?? {};
      const spec = svc.spec!;
      if (os.type === 'ExternalName' && spec.type !== 'ExternalName') this.allocClusterIPs(txn, svc);
      else if (!isHeadless(old) && os.type !== 'ExternalName' && spec.type === 'ExternalName') {
        for (const ip of os.clusterIPs ?? (os.clusterIP ? [os.clusterIP] : [])) if (ip !== 'None') this.releaseIP(txn, ip);
      }

      const oldPorts = nodePortsOf(old);
      if (isNodePortType(old) && (spec.type === 'ExternalName' || spec.type === 'ClusterIP')) {
        for (const p of oldPorts) this.releasePort(txn, p);
      }
      if (isNodePortType(svc)) {
        const taken = new Set<number>();
        (spec.ports ?? []).forEach((p, i) => {
          if (!p.nodePort && !shouldAllocateNodePorts(svc)) return;
          if (p.nodePort) {
            if (!oldPorts.includes(p.nodePort) && !taken.has(p.nodePort)) {
              this.takePort(txn, p.nodePort, `spec.ports[${i}].nodePort`);
              taken.add(p.nodePort);
            }
          } else {
            p.nodePort = this.nextPort(txn);
          }
        });
        const now = new Set(nodePortsOf(svc));
        for (const p of oldPorts) if (!now.has(p)) this.releasePort(txn, p);
      }

      const had = needsHealthCheck(old);
      const needs = needsHealthCheck(svc);
      if (!had && needs) this.allocHealthCheckNodePort(txn, svc);
      else if (had && !needs && os.healthCheckNodePort) {
        this.releasePort(txn, os.healthCheckNodePort);
        delete spec.healthCheckNodePort;
      }
    });
  }

  /** Frees a deleted Service's clusterIPs, nodePorts and healthCheckNodePort. */
  release(svc: Service): void {
    const spec = svc.spec ?? {};
    if (spec.type !== 'ExternalName') {
      for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) if (ip !== 'None') this.ips.release(ip);
    }
    for (const p of nodePortsOf(svc)) this.ports.release(p);
    if (spec.healthCheckNodePort) this.ports.release(spec.healthCheckNodePort);
  }

  /**
   * Resets both allocators to exactly what `services` hold (startup, repair).
   * Returns a description of each value that could not be re-reserved
   * (outside the configured ranges, or used twice).
   */
  rebuild(services: readonly Service[]): string[] {
    this.ips.clear();
    this.ports.clear();
    const problems: string[] = [];
    for (const svc of services) {
      const spec = svc.spec ?? {};
      const name = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
      if (spec.type !== 'ExternalName') {
        for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
          if (ip === 'None' || !ip) continue;
          try {
            this.ips.allocate(ip);
          } catch (e) {
            problems.push(`service ${name}: clusterIP ${ip}: ${(e as Error).message}`);
          }
        }
      }
      const nps = nodePortsOf(svc);
      if (spec.healthCheckNodePort) nps.push(spec.healthCheckNodePort);
      for (const p of nps) {
        try {
          this.ports.allocate(p);
        } catch (e) {
          problems.push(`service ${name}: nodePort ${p}: ${(e as Error).message}`);
        }
      }
    }
    return problems;
  }
}

