/**
 * The frames captured from the official Node.js client, read in place from the shared fixtures folder
 * (README there: requests are real client output, responses come from a mock and are not an oracle).
 */
import { readFileSync } from 'node:fs';

export interface FixtureHeader {
  hdr_version: number;
  header_length: number;
  body_length: number;
  header_crc32: number;
  body_crc32: number;
  app_id: number;
  partition_index: number;
  client_timeout: number;
  thread_hash: number;
  partition_hash: string;
}

export interface FixtureFrame {
  rpc_name: string;
  direction: 'request' | 'response';
  client_call: string;
  hex: string;
  seqid: number;
  header?: FixtureHeader;
  rpc_error?: string;
  total_length?: number;
  capture: string;
}

const FIXTURE_URL = new URL('../../../shared/fixtures/official-nodejs-client-frames.json', import.meta.url);

export const FIXTURE_FRAMES: readonly FixtureFrame[] = JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as FixtureFrame[];

export const REQUEST_FRAMES = FIXTURE_FRAMES.filter((frame) => frame.direction === 'request');
export const RESPONSE_FRAMES = FIXTURE_FRAMES.filter((frame) => frame.direction === 'response');

export function bytesOf(frame: FixtureFrame): Buffer {
  return Buffer.from(frame.hex, 'hex');
}
