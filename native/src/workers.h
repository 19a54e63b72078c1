// Async work (N-API async work on the libuv thread pool), each settling a promise on the JS thread.
// Work on an open database is counted in DbCore::pending so that close() waits for it.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "db.h"

namespace pegasus_rocksdb {

class Iterator;

Napi::Value StartOpen(Napi::Env env, OpenParams params);
// `batch` is the JS Buffer (kept referenced; decoded on the thread pool).
Napi::Value StartWrite(Napi::Env env, std::shared_ptr<DbCore> core, Napi::Value batch);
// keys packed into one string; key i = [key_ends[i-1] (or 0), key_ends[i]).
Napi::Value StartMultiGet(Napi::Env env, std::shared_ptr<DbCore> core, int cf, std::string keys,
                          std::vector<size_t> key_ends);
Napi::Value StartFlush(Napi::Env env, std::shared_ptr<DbCore> core);
Napi::Value StartCheckpoint(Napi::Env env, std::shared_ptr<DbCore> core, std::string dir);
Napi::Value StartCompactRange(Napi::Env env, std::shared_ptr<DbCore> core);
// Closes the DB off the loop and settles core->close_waiters. Not counted as pending work.
void StartClose(Napi::Env env, std::shared_ptr<DbCore> core);
// `self` is the iterator's JS object (kept referenced while the read runs).
Napi::Value StartIteratorRead(Napi::Env env, Iterator* iterator, Napi::Object self,
                              std::shared_ptr<DbCore> core, uint32_t max_count,
                              uint64_t max_bytes);

}  // namespace pegasus_rocksdb
