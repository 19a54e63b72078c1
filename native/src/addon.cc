// pegasus_rocksdb: the native storage addon of pegasus-ts. RocksDB primitives only (open with two
// column families, WAL-less atomic write batches, get / multiGet, bounded iterators, flush,
// checkpoint, compact range, properties) plus Pegasus's compaction filter; everything else is
// TypeScript (src/storage/rocks/addon.ts is the typed front).
#include <napi.h>
#include <rocksdb/version.h>

#include <string>

#include "common.h"
#include "db.h"
#include "iterator.h"

namespace pegasus_rocksdb {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // deleted with the environment
  Napi::Function db_ctor = Db::DefineClass(env);
  Napi::Function iterator_ctor = Iterator::DefineClass(env);
  data->db_ctor = Napi::Persistent(db_ctor);
  data->iterator_ctor = Napi::Persistent(iterator_ctor);

  exports.Set("openDb", Napi::Function::New<OpenDb>(env, "openDb"));
  exports.Set("rocksdbVersion",
              Napi::String::New(env, std::to_string(ROCKSDB_MAJOR) + "." +
                                         std::to_string(ROCKSDB_MINOR) + "." +
                                         std::to_string(ROCKSDB_PATCH)));
  exports.Set("pegasusEpochUnixSeconds", Napi::Number::New(env, kPegasusEpochUnixSeconds));
  return exports;
}

}  // namespace pegasus_rocksdb

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return pegasus_rocksdb::Init(env, exports);
}

NODE_API_MODULE(pegasus_rocksdb, InitModule)
