/**
 * The events printer, shared by `events` (core/v1) and `events.events.k8s.io`:
 * kube-apiserver converts both to one internal Event before printing, so an
 * events.k8s.io object is first mapped onto the core field names here.
 */
import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import { NAME_COLUMN, translateTimestampSince } from './format.js';
import { column, type Printer } from './printer.js';

/**
 * Maps an `events.k8s.io/v1` Event onto the core/v1 shape, as upstream's
 * conversion through the internal type does (`regarding` → `involvedObject`,
 * `note` → `message`, `deprecated*` → the old fields, `reportingController` →
 * `reportingComponent`).
 */
export function coreEventFromEventsV1(e: EventsV1Event): CoreEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata ?? {},
    involvedObject: e.regarding ?? {},
    related: e.related,
    message: e.note,
    reason: e.reason,
    type: e.type,
    action: e.action,
    source: e.deprecatedSource,
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: e.deprecatedCount,
    eventTime: e.eventTime,
    series: e.series ? { count: e.series.count, lastObservedTime: e.series.lastObservedTime } : undefined,
    reportingComponent: e.reportingController,
    reportingInstance: e.reportingInstance,
  };
}

function formatEventSource(e: CoreEvent): string {
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

const columns = [
  column('Last Seen', 'string', DESCRIPTIONS.EVENT_LAST_TIMESTAMP),
  column('Type', 'string', DESCRIPTIONS.EVENT_TYPE),
  column('Reason', 'string', DESCRIPTIONS.EVENT_REASON),
  column('Object', 'string', DESCRIPTIONS.EVENT_INVOLVED_OBJECT),
  column('Subobject', 'string', DESCRIPTIONS.EVENT_FIELD_PATH, { priority: 1 }),
  column('Source', 'string', DESCRIPTIONS.EVENT_SOURCE, { priority: 1 }),
  column('Message', 'string', DESCRIPTIONS.EVENT_MESSAGE),
  column('First Seen', 'string', DESCRIPTIONS.EVENT_FIRST_TIMESTAMP, { priority: 1 }),
  column('Count', 'string', DESCRIPTIONS.EVENT_COUNT, { priority: 1 }),
  { ...NAME_COLUMN, priority: 1 },
];

/** Cells of a core/v1 Event, as upstream `printEvent` (wide). */
export function eventCells(e: CoreEvent, now: Date): unknown[] {
  let first = translateTimestampSince(e.firstTimestamp, now);
  if (!e.firstTimestamp) first = translateTimestampSince(e.eventTime, now);
  let last = translateTimestampSince(e.lastTimestamp, now);
  if (!e.lastTimestamp) last = first;
  let count = e.count ?? 0;
  if (e.series) {
    last = translateTimestampSince(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    // Singleton events of the new API carry no count.
    count = 1;
  }
  const kind = (e.involvedObject?.kind ?? '').toLowerCase();
  const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
  return [
    last,
    e.type ?? '',
    e.reason ?? '',
    target,
    e.involvedObject?.fieldPath ?? '',
    formatEventSource(e),
    (e.message ?? '').trim(),
    first,
    count,
    e.metadata?.name ?? '',
  ];
}

/** Printer for core/v1 `events`. */
export const eventPrinter: Printer = {
  columns,
  cells: (obj, now) => eventCells(obj as CoreEvent, now),
};

/** Printer for `events.events.k8s.io`. */
export const eventsV1Printer: Printer = {
  columns,
  cells: (obj, now) => eventCells(coreEventFromEventsV1(obj as EventsV1Event), now),
};
