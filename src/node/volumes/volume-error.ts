/**
 * The one error class of pod volume setup. `reason` is the kubelet event reason
 * the runtime should record (`FailedMount` for a volume that cannot be set up,
 * `CreateContainerConfigError` for a container whose mounts cannot be planned),
 * and `message` is worded the way kubelet words it, so `kubectl describe pod`
 * reads like it does upstream.
 */

/** Stable reasons of {@link VolumeError}. */
export type VolumeErrorReason = 'FailedMount' | 'CreateContainerConfigError';

/**
 * A volume or mount that cannot be set up.
 *
 * @example
 * throw VolumeError.setUp('config', 'configmap "app" not found');
 * // message: MountVolume.SetUp failed for volume "config" : configmap "app" not found
 */
export class VolumeError extends Error {
  readonly reason: VolumeErrorReason;
  /** The pod volume concerned, when there is one. */
  readonly volume: string | undefined;

  constructor(reason: VolumeErrorReason, message: string, volume?: string) {
    super(message);
    this.name = 'VolumeError';
    this.reason = reason;
    this.volume = volume;
  }

  /** kubelet's `MountVolume.SetUp failed for volume "<name>" : <detail>`. */
  static setUp(volume: string, detail: string): VolumeError {
    return new VolumeError('FailedMount', `MountVolume.SetUp failed for volume "${volume}" : ${detail}`, volume);
  }

  /** A container-level problem (unknown volume, bad subPath), reason `CreateContainerConfigError`. */
  static container(detail: string, volume?: string): VolumeError {
    return new VolumeError('CreateContainerConfigError', detail, volume);
  }
}
