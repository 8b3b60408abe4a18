/**
 * The client side of the Kubernetes API, used by every component (controllers,
 * scheduler, node agent, proxy, DNS, CLI): a wire seam (`Transport`, with the HTTP
 * implementation here and an in-process one supplied by the API server), the typed
 * REST client (`Client`, `ResourceClient`), shared informers with indexed caches,
 * and the deduplicating rate-limited work queue that drives reconcilers with
 * controller-runtime's four-outcome protocol. This folder may import only `../api/`
 * (and Node built-ins and declared dependencies).
 */
export { FakeClock, realClock, sleep, type Clock, type TimerHandle } from './clock.js';
export {
  Client,
  loadKubeconfig,
  PATCH_CONTENT_TYPES,
  ResourceClient,
  type ClientOptions,
  type DeleteOptions,
  type KubeconfigSettings,
  type KubeObject,
  type ListOptions,
  type ObjectList,
  type PatchOptions,
  type PatchType,
  type WatchEvent,
  type WatchEventType,
  type WatchOptions,
  type WriteOptions,
} from './client.js';
export { byNamespace, byNodeName, byOwnerUID, Indexer, keyOf, splitKey, type IndexFunc } from './indexer.js';
export {
  DeletedFinalStateUnknown,
  deletedObject,
  SharedInformer,
  SharedInformerFactory,
  type EventHandler,
  type InformerFactoryOptions,
  type InformerOptions,
} from './informer.js';
export { errorMessage, silentLogger, type Logger } from './logger.js';
export { errorFromResponse, errorFromStatus, isStatus, reasonForCode } from './status.js';
export {
  encodeQuery,
  HttpTransport,
  LineSplitter,
  type HttpTransportOptions,
  type QueryParams,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js';
export {
  applyOutcome,
  BucketRateLimiter,
  defaultControllerRateLimiter,
  isTerminal,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  runWorkers,
  TerminalError,
  WorkQueue,
  type RateLimiter,
  type ReconcileResult,
  type Reconciler,
  type WorkQueueMetrics,
  type WorkQueueOptions,
} from './workqueue.js';
