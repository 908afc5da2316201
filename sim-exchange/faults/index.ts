/** Venue faults (docs/faults.md): the controller, its specs and the time seam. */
export { FaultController, FaultSpecError, InjectedError, httpAnswer, type FaultControllerDeps, type FaultGateway, type FaultView } from './controller.ts';
export { FaultSpec, FaultTimeline, FAULT_TYPES, FAULT_PARAMS, INSTANT_FAULTS, type FaultType, type FaultRecord, type FaultSpecInput, type FaultTimelineInput } from './types.ts';
export { realTimers, ManualTimers, type FaultTimers } from './timers.ts';
export { FifoDelayer } from './delayer.ts';
export { sampleLatency, volatilityScale, oneSecondVolBps } from './latency.ts';
