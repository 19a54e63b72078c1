/** Protocol sniffing on the shared port: four bytes decide, and a hopeless prefix is refused at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sniffConnection } from '../../src/rpc/tcp/sniff.ts';

test('THFT is Thrift, the HTTP methods are HTTP, anything else is unknown', () => {
  assert.equal(sniffConnection(Buffer.from('THFT\0\0\0\0')), 'thrift');
  for (const start of ['GET /', 'POST /', 'PUT /', 'HEAD /', 'DELETE /', 'OPTIONS *', 'PATCH /']) {
    assert.equal(sniffConnection(Buffer.from(start)), 'http', start);
  }
  for (const start of ['THFX', 'get /', 'GETX', 'CONNECT x', '\x16\x03\x01\x02']) {
    assert.equal(sniffConnection(Buffer.from(start, 'latin1')), 'unknown', start);
  }
});

test('a short prefix waits while it can still become a known start, and is refused as soon as it cannot', () => {
  for (const prefix of ['', 'T', 'TH', 'THF', 'G', 'GE', 'GET', 'P', 'PO', 'PU', 'D', 'O', 'H']) {
    assert.equal(sniffConnection(Buffer.from(prefix)), undefined, JSON.stringify(prefix));
  }
  for (const prefix of ['X', '\0', 'TX', 'GX', 'PX']) {
    assert.equal(sniffConnection(Buffer.from(prefix)), 'unknown', JSON.stringify(prefix));
  }
});
