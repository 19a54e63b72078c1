/**
 * The MetaStateStore contract, run on every implementation (meta-state-store.ts): tree ops, upstream's error
 * codes, all-or-nothing transactions, recursive delete, binary data, sorted children, limits, close.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPegasusError, type ErrorCode } from '../../src/base/error-code.ts';
import { DEFAULT_META_STORE_LIMITS, type MetaStateStore, type MetaStoreLimits } from '../../src/metastore/meta-state-store.ts';
import { dumpTree, rejectsWith } from './meta-store-util.ts';

/** Opens a fresh, empty store; the suite closes it. */
export type StoreFactory = (limits?: MetaStoreLimits) => Promise<MetaStateStore>;

async function withStore(open: StoreFactory, body: (store: MetaStateStore) => Promise<void>, limits?: MetaStoreLimits): Promise<void> {
  const store = await open(limits);
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

export function metaStoreContract(name: string, open: StoreFactory): void {
  describe(`${name} contract`, () => {
    test('a new store holds only the empty root', async () => {
      await withStore(open, async (s) => {
        assert.equal(await s.exists('/'), true);
        assert.deepEqual(await s.getChildren('/'), []);
        assert.equal((await s.getData('/')).length, 0);
      });
    });

    test('create, get, set, exists and delete of one node', async () => {
      await withStore(open, async (s) => {
        await s.createNode('/pegasus', Buffer.from('v1'));
        assert.equal(await s.exists('/pegasus'), true);
        assert.equal((await s.getData('/pegasus')).toString(), 'v1');
        await s.setData('/pegasus', Buffer.from('v2'));
        assert.equal((await s.getData('/pegasus')).toString(), 'v2');
        await s.createNode('/pegasus/empty');
        assert.equal((await s.getData('/pegasus/empty')).length, 0);
        await s.deleteNode('/pegasus/empty');
        assert.equal(await s.exists('/pegasus/empty'), false);
        assert.deepEqual(await s.getChildren('/pegasus'), []);
      });
    });

    test('errors use upstream names', async () => {
      await withStore(open, async (s) => {
        await s.createNode('/a', Buffer.from('x'));
        await rejectsWith(s.createNode('/a'), 'ERR_NODE_ALREADY_EXIST', 'create existing');
        await rejectsWith(s.createNode('/'), 'ERR_NODE_ALREADY_EXIST', 'create root');
        await rejectsWith(s.createNode('/missing/child'), 'ERR_OBJECT_NOT_FOUND', 'create without parent');
        await rejectsWith(s.getData('/b'), 'ERR_OBJECT_NOT_FOUND', 'get missing');
        await rejectsWith(s.setData('/b', Buffer.from('y')), 'ERR_OBJECT_NOT_FOUND', 'set missing');
        await rejectsWith(s.getChildren('/b'), 'ERR_OBJECT_NOT_FOUND', 'children of missing');
        await rejectsWith(s.deleteNode('/b'), 'ERR_OBJECT_NOT_FOUND', 'delete missing');
        await rejectsWith(s.deleteNode('/'), 'ERR_INVALID_PARAMETERS', 'delete root');
        await rejectsWith(s.deleteNode('/', { recursive: true }), 'ERR_INVALID_PARAMETERS', 'delete root recursively');
        assert.deepEqual([...(await dumpTree(s)).keys()], ['/', '/a']);
        assert.equal((await s.getData('/a')).toString(), 'x');
      });
    });

    test('malformed paths are ERR_INVALID_PARAMETERS for every operation', async () => {
      await withStore(open, async (s) => {
        await s.createNode('/a');
        const bad = ['', 'a', 'a/b', '//', '//a', '/a//b', '/a/./b', '/a/..', '/.', '/a\0b', `/${'x'.repeat(DEFAULT_META_STORE_LIMITS.pathBytesMax)}`];
        for (const path of bad) {
          const what = JSON.stringify(path);
          await rejectsWith(s.createNode(path), 'ERR_INVALID_PARAMETERS', `create ${what}`);
          await rejectsWith(s.setData(path, Buffer.alloc(1)), 'ERR_INVALID_PARAMETERS', `set ${what}`);
          await rejectsWith(s.getData(path), 'ERR_INVALID_PARAMETERS', `get ${what}`);
          await rejectsWith(s.getChildren(path), 'ERR_INVALID_PARAMETERS', `children ${what}`);
          await rejectsWith(s.exists(path), 'ERR_INVALID_PARAMETERS', `exists ${what}`);
          await rejectsWith(s.deleteNode(path), 'ERR_INVALID_PARAMETERS', `delete ${what}`);
        }
        // One trailing slash is dropped, as upstream's normalize_path does.
        await s.createNode('/a/b/', Buffer.from('t'));
        assert.equal((await s.getData('/a/b')).toString(), 't');
        assert.deepEqual([...(await dumpTree(s)).keys()].sort(), ['/', '/a', '/a/b']);
      });
    });

    test('data and path sizes are bounded by the limits', async () => {
      const limits: MetaStoreLimits = { ...DEFAULT_META_STORE_LIMITS, nodeDataBytesMax: 100, pathBytesMax: 16 };
      await withStore(open, async (s) => {
        await s.createNode('/at-limit', Buffer.alloc(100, 1));
        await rejectsWith(s.createNode('/over', Buffer.alloc(101)), 'ERR_INVALID_PARAMETERS', 'create over');
        await rejectsWith(s.setData('/at-limit', Buffer.alloc(101)), 'ERR_INVALID_PARAMETERS', 'set over');
        await s.createNode(`/${'x'.repeat(15)}`); // exactly 16 bytes
        await s.createNode(`/${'é'.repeat(7)}`); // 15 UTF-8 bytes
        await rejectsWith(s.createNode(`/${'é'.repeat(8)}`), 'ERR_INVALID_PARAMETERS', 'path over in UTF-8 bytes');
        await rejectsWith(s.createNode(`/${'y'.repeat(16)}`), 'ERR_INVALID_PARAMETERS', 'path over');
        assert.equal((await s.getData('/at-limit')).length, 100);
        assert.equal(await s.exists('/over'), false);
      }, limits);
    });

    test('binary data round-trips and stored bytes are isolated from callers', async () => {
      await withStore(open, async (s) => {
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await s.createNode('/bin', all);
        all[0] = 0xff; // the caller's buffer is not the stored one
        const got = await s.getData('/bin');
        assert.equal(got.length, 256);
        assert.equal(got[0], 0);
        assert.equal(got[255], 255);
        got[1] = 0; // nor is the returned one
        assert.equal((await s.getData('/bin'))[1], 1);
        await s.setData('/bin', Buffer.alloc(0));
        assert.equal((await s.getData('/bin')).length, 0);
        await s.setData('/', Buffer.from([0, 1, 2]));
        assert.deepEqual([...(await s.getData('/'))], [0, 1, 2]);
      });
    });

    test('children are names, sorted', async () => {
      await withStore(open, async (s) => {
        await s.createNode('/apps');
        for (const name of ['10', '2', 'b', 'a', 'A', '1']) await s.createNode(`/apps/${name}`);
        await s.createNode('/apps/a/deeper');
        assert.deepEqual(await s.getChildren('/apps'), ['1', '10', '2', 'A', 'a', 'b']);
        assert.deepEqual(await s.getChildren('/apps/a'), ['deeper']);
        assert.deepEqual(await s.getChildren('/'), ['apps']);
      });
    });

    test('delete of a node with children needs recursive, which removes exactly the subtree', async () => {
      await withStore(open, async (s) => {
        for (const p of ['/a', '/a/b', '/a/b/c', '/a/d', '/ab', '/ab/x', '/a-b']) await s.createNode(p, Buffer.from(p));
        await rejectsWith(s.deleteNode('/a'), 'ERR_INVALID_PARAMETERS', 'non-recursive delete with children');
        assert.equal(await s.exists('/a/b/c'), true);
        await s.deleteNode('/a', { recursive: true });
        assert.deepEqual([...(await dumpTree(s)).keys()].sort(), ['/', '/a-b', '/ab', '/ab/x']);
        await s.deleteNode('/ab/x', { recursive: true }); // recursive on a leaf is a plain delete
        await s.createNode('/a', Buffer.from('again'));
        assert.deepEqual(await s.getChildren('/a'), []);
        assert.equal((await s.getData('/a')).toString(), 'again');
      });
    });

    test('a transaction applies every op in order', async () => {
      await withStore(open, async (s) => {
        await s.createNode('/old', Buffer.from('o'));
        await s.submitTransaction([
          { kind: 'create', path: '/apps', data: Buffer.from('lock') },
          { kind: 'create', path: '/apps/1', data: Buffer.from('app') },
          { kind: 'create', path: '/apps/1/0', data: Buffer.from('p0') },
          { kind: 'create', path: '/tmp', data: Buffer.alloc(0) },
          { kind: 'delete', path: '/tmp' }, // sees the create before it
          { kind: 'delete', path: '/old' },
          { kind: 'set', path: '/apps', data: Buffer.from('unlock') },
        ]);
        const dump = await dumpTree(s);
        assert.deepEqual([...dump.keys()].sort(), ['/', '/apps', '/apps/1', '/apps/1/0']);
        assert.equal((await s.getData('/apps')).toString(), 'unlock');
        await s.submitTransaction([]); // empty is a no-op
        assert.deepEqual(await dumpTree(s), dump);
      });
    });

    test('a failing transaction changes nothing and names the failing op', async () => {
      await withStore(open, async (s) => {
        await s.createNode('/a', Buffer.from('a'));
        await s.createNode('/a/child');
        const before = await dumpTree(s);
        const failing: Array<[string, Parameters<MetaStateStore['submitTransaction']>[0], ErrorCode]> = [
          ['create existing last', [{ kind: 'set', path: '/a', data: Buffer.from('z') }, { kind: 'create', path: '/n', data: Buffer.alloc(1) }, { kind: 'create', path: '/a', data: Buffer.alloc(0) }], 'ERR_NODE_ALREADY_EXIST'],
          ['missing parent', [{ kind: 'create', path: '/n', data: Buffer.alloc(0) }, { kind: 'create', path: '/x/y', data: Buffer.alloc(0) }], 'ERR_OBJECT_NOT_FOUND'],
          ['set missing', [{ kind: 'delete', path: '/a/child' }, { kind: 'set', path: '/gone', data: Buffer.alloc(0) }], 'ERR_OBJECT_NOT_FOUND'],
          ['delete with children', [{ kind: 'create', path: '/a/c2', data: Buffer.alloc(0) }, { kind: 'delete', path: '/a' }], 'ERR_INVALID_PARAMETERS'],
          ['delete after own delete', [{ kind: 'delete', path: '/a/child' }, { kind: 'delete', path: '/a/child' }], 'ERR_OBJECT_NOT_FOUND'],
        ];
        for (const [what, ops, cause] of failing) {
          const e = await rejectsWith(s.submitTransaction(ops), 'ERR_INCONSISTENT_STATE', what);
          assert.ok(isPegasusError((e as Error).cause, cause), `${what}: cause ${String((e as Error).cause)}`);
          assert.deepEqual(await dumpTree(s), before, `${what} changed the tree`);
        }
        // Malformed input is refused before anything is tried.
        await rejectsWith(s.submitTransaction([{ kind: 'create', path: '/ok', data: Buffer.alloc(0) }, { kind: 'create', path: 'bad', data: Buffer.alloc(0) }]), 'ERR_INVALID_PARAMETERS');
        assert.deepEqual(await dumpTree(s), before);
      });
    });

    test('transactions are bounded in op count and data bytes', async () => {
      const limits: MetaStoreLimits = { ...DEFAULT_META_STORE_LIMITS, transactionOpsMax: 3, transactionDataBytesMax: 10 };
      await withStore(open, async (s) => {
        const create = (i: number, bytes: number) => ({ kind: 'create' as const, path: `/n${i}`, data: Buffer.alloc(bytes) });
        await rejectsWith(s.submitTransaction([create(1, 0), create(2, 0), create(3, 0), create(4, 0)]), 'ERR_INVALID_PARAMETERS', 'ops');
        await rejectsWith(s.submitTransaction([create(1, 6), create(2, 5)]), 'ERR_INVALID_PARAMETERS', 'bytes');
        await s.submitTransaction([create(1, 5), create(2, 5), create(3, 0)]);
        assert.deepEqual(await s.getChildren('/'), ['n1', 'n2', 'n3']);
      }, limits);
    });

    test('a closed store refuses every call', async () => {
      const s = await open();
      await s.createNode('/a');
      await s.close();
      await rejectsWith(s.getData('/a'), 'ERR_SERVICE_NOT_ACTIVE');
      await rejectsWith(s.exists('/a'), 'ERR_SERVICE_NOT_ACTIVE');
      await rejectsWith(s.createNode('/b'), 'ERR_SERVICE_NOT_ACTIVE');
      await rejectsWith(s.submitTransaction([{ kind: 'delete', path: '/a' }]), 'ERR_SERVICE_NOT_ACTIVE');
    });
  });
}
