import { noopPipe } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export const noop: ToxicSpec<Record<string, never>> = {
  type: 'noop',
  goStruct: 'NoopToxic',
  fields: {},
  bufferSize: 1,
  pipe: noopPipe,
};
