// Types for the reference binding used by bench/storage.ts (the package ships none).
declare module '@nxtedition/rocksdb' {
  export interface RocksLevelIterator {
    nextv(size: number): Promise<Array<[Buffer, Buffer]>>;
    close(): Promise<void>;
  }
  export class RocksLevel {
    constructor(location: string, options?: { keyEncoding?: 'buffer'; valueEncoding?: 'buffer' });
    open(): Promise<void>;
    batch(operations: Array<{ type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }>): Promise<void>;
    get(key: Buffer): Promise<Buffer | undefined>;
    iterator(options?: { limit?: number; gte?: Buffer; lt?: Buffer }): RocksLevelIterator;
    close(): Promise<void>;
  }
}
