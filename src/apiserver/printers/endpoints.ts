/**
 * The endpoints and endpointslices printers: `ip:port` lists cut after three
 * entries with ` + N more...`, `<none>` / `<unset>` when empty.
 */
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, NAME_COLUMN, joinHostPort, listWithMore, translateTimestampSince } from './format.js';
import { column, type Printer } from './printer.js';

const MAX = 3;

/** ENDPOINTS of an Endpoints object, as upstream `formatEndpoints` with all ports. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      // Headless services may have no ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - MAX} more...` : ret;
}

/** Printer for `endpoints`. */
export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', DESCRIPTIONS.EP_SUBSETS), AGE_COLUMN],
  cells(obj, now) {
    const ep = obj as Endpoints;
    return [ep.metadata?.name ?? '', formatEndpoints(ep), translateTimestampSince(ep.metadata?.creationTimestamp, now)];
  },
};

function formatSlicePorts(slice: EndpointSlice): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const p of slice.ports ?? []) {
    if (list.length < MAX) {
      list.push(p.port != null ? String(p.port) : p.name != null ? p.name : '*');
    } else if (list.length === MAX) {
      more = true;
    }
    count++;
  }
  return listWithMore(list, more, count, MAX);
}

function formatSliceEndpoints(slice: EndpointSlice): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const e of slice.endpoints ?? []) {
    for (const a of e.addresses ?? []) {
      if (list.length < MAX) list.push(a);
      else if (list.length === MAX) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, MAX);
}

/** Printer for `endpointslices.discovery.k8s.io`. */
export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', DESCRIPTIONS.ES_ADDRESS_TYPE),
    column('Ports', 'string', DESCRIPTIONS.ES_PORTS),
    column('Endpoints', 'string', DESCRIPTIONS.ES_ENDPOINTS),
    AGE_COLUMN,
  ],
  cells(obj, now) {
    const s = obj as EndpointSlice;
    return [
      s.metadata?.name ?? '',
      s.addressType ?? '',
      formatSlicePorts(s),
      formatSliceEndpoints(s),
      translateTimestampSince(s.metadata?.creationTimestamp, now),
    ];
  },
};
