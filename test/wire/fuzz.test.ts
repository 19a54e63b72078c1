/**
 * Random and damaged input through the splitter and every decoder: each either decodes or throws a
 * PegasusError, never another exception, never a hang (a seeded PRNG and bounded loops; rerun a failure from
 * the seed printed in its message).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PegasusError } from '../../src/base/error-code.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { ThriftReader } from '../../src/idl/thrift/reader.ts';
import { TType } from '../../src/idl/thrift/ttype.ts';
import { parseRequestBody } from '../../src/rpc/frame/request-body.ts';
import { parseRequestHeader } from '../../src/rpc/frame/request-header.ts';
import { RequestFrameSplitter } from '../../src/rpc/frame/request-splitter.ts';
import { parseResponse } from '../../src/rpc/frame/response.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { FIXTURE_FRAMES, REQUEST_FRAMES, bytesOf } from './fixtures.ts';

const SEED = 0x5eed_0001;
const RPCS = Object.values(RRDB_RPCS);

/** Runs `fn`; anything thrown must be a PegasusError. Returns whether it decoded. */
function tolerate(label: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof PegasusError)) assert.fail(`${label}: ${e instanceof Error ? e.stack : String(e)}`);
    return false;
  }
}

/** Every decoder that could meet these bytes, from `offset`. */
function decodeEverything(label: string, bytes: Buffer, offset: number): number {
  let decoded = 0;
  for (const rpc of RPCS) {
    if (tolerate(`${label} ${rpc.code} args`, () => rpc.decodeArgs(bytes, offset))) decoded++;
    if (rpc.kind !== 'oneway' && tolerate(`${label} ${rpc.code} response`, () => rpc.decodeResponse(bytes, offset))) decoded++;
  }
  tolerate(`${label} skip`, () => new ThriftReader(bytes, offset).skip(TType.STRUCT));
  tolerate(`${label} header`, () => parseRequestHeader(bytes));
  tolerate(`${label} response frame`, () => parseResponse(bytes));
  return decoded;
}

function splitAndDecode(label: string, bytes: Buffer, random: () => number): number {
  const splitter = new RequestFrameSplitter({ bodyBytesMax: 1 << 20 });
  let frames = 0;
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * 64);
    const { frames: got, error } = splitter.feed(bytes.subarray(at, at + size));
    at += size;
    assert.ok(error === undefined || error instanceof PegasusError);
    assert.ok(splitter.bufferedBytes <= bytes.length);
    for (const frame of got) {
      frames++;
      tolerate(`${label} body`, () => {
        const body = parseRequestBody(frame.body);
        decodeEverything(label, frame.body, body.argsOffset);
      });
    }
    if (error !== undefined) break;
  }
  return frames;
}

function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

test('random byte strings', () => {
  const random = seededRandom(SEED);
  for (let i = 0; i < 3000; i++) {
    const bytes = randomBytes(random, Math.floor(random() * 200));
    // Half of them start like a frame so the splitter gets past the magic.
    if (i % 2 === 0 && bytes.length >= 12) {
      bytes.write('THFT', 0, 'latin1');
      bytes.writeUInt32BE(i % 4 === 0 ? 0 : 1, 4);
      bytes.writeUInt32BE(i % 4 === 0 ? 48 : Math.floor(random() * 64), 8);
    }
    splitAndDecode(`seed ${SEED} random #${i}`, bytes, random);
    decodeEverything(`seed ${SEED} random #${i}`, bytes, 0);
  }
});

test('truncated and bit-flipped fixture frames', () => {
  const random = seededRandom(SEED + 1);
  let decodedArgs = 0;
  for (let i = 0; i < 4000; i++) {
    const fixture = FIXTURE_FRAMES[i % FIXTURE_FRAMES.length]!;
    const original = bytesOf(fixture);
    const bytes = Buffer.from(original);
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(random() * bytes.length);
      bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
    }
    const cut = random() < 0.5 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    const label = `seed ${SEED + 1} #${i} (${fixture.rpc_name} ${fixture.direction})`;
    splitAndDecode(label, cut, random);
    if (fixture.direction === 'request') {
      // Damage only the body and fix up body_length, so the decoders behind the splitter get exercised.
      const body = cut.subarray(Math.min(48, cut.length));
      const header = Buffer.from(original.subarray(0, 48));
      header.writeUInt32BE(body.length, 16);
      assert.equal(splitAndDecode(label, Buffer.concat([header, body]), random), 1);
      decodedArgs += decodeEverything(label, body, Math.min(body.length, 30));
    } else {
      decodeEverything(label, cut, 0);
    }
  }
  assert.ok(decodedArgs > 0, 'some damaged frames still decode');
});

test('intact request frames still decode after the fuzzing helpers touch them', () => {
  const random = seededRandom(SEED + 2);
  for (const fixture of REQUEST_FRAMES) assert.equal(splitAndDecode(fixture.client_call, bytesOf(fixture), random), 1);
});
