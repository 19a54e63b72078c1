// An open RocksDB instance: DbCore owns the rocksdb::DB and its two column family handles; Db is the JS
// object (ObjectWrap) exposing it.
#pragma once

#include <napi.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compaction_filter.h"

namespace pegasus_rocksdb {

class Iterator;

// Shared by the JS Db object, its iterators and in-flight async work, so that none of them can
// outlive the rocksdb::DB they use. Fields other than `db`/`cfs` are only touched on the JS thread.
struct DbCore : std::enable_shared_from_this<DbCore> {
  enum class State { kOpen, kClosing, kClosed };

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;  // [0] default, [1] pegasus_meta_cf
  std::shared_ptr<CompactionParams> compaction_params;
  std::shared_ptr<rocksdb::Cache> block_cache;

  State state = State::kOpen;
  int pending = 0;                  // async work in flight (close waits for it)
  std::set<Iterator*> iterators;    // live iterators (closed before the DB)
  std::vector<Napi::Promise::Deferred> close_waiters;

  DbCore() = default;
  DbCore(const DbCore&) = delete;
  DbCore& operator=(const DbCore&) = delete;
  // Closes RocksDB if still open (JS object collected without close()).
  ~DbCore();

  bool IsOpen() const { return state == State::kOpen; }
  void AddWork() { ++pending; }
  // Called when counted async work has settled; starts the deferred close when it was the last.
  void ReleaseWork(Napi::Env env);
  // Releases the column family handles and closes and deletes the DB. Any thread, no JS.
  rocksdb::Status CloseRocks();
};

// Options parsed from JS (OpenOptions in addon.ts).
struct OpenParams {
  std::string path;
  bool create_if_missing = false;
  bool read_only = false;
  // Defaults: upstream Pegasus's shipped config.ini ([pegasus.server] rocksdb_*).
  uint64_t write_buffer_size = 64ull << 20;
  int max_write_buffer_number = 3;
  uint64_t target_file_size_base = 64ull << 20;
  uint64_t max_bytes_for_level_base = 640ull << 20;
  // Block cache shared by every DB of the process opened with the same capacity (upstream shares
  // one rocksdb_block_cache_capacity = 10 GiB cache across all replicas of a server).
  uint64_t block_cache_bytes = 10ull << 30;
  int max_background_jobs = 4;
  std::string compression;  // "" = lz4 if the library has it, else snappy, else none
};

// Opens (thread pool side). On success *out holds the new core.
rocksdb::Status OpenRocks(const OpenParams& params, std::shared_ptr<DbCore>* out);

class Db : public Napi::ObjectWrap<Db> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // Only constructed by openDb(), with an External holding the opened core.
  explicit Db(const Napi::CallbackInfo& info);

  const std::shared_ptr<DbCore>& core() const { return core_; }

 private:
  bool CheckOpen(Napi::Env env);  // throws DbClosed if not open
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value WriteSync(const Napi::CallbackInfo& info);
  Napi::Value GetSync(const Napi::CallbackInfo& info);
  Napi::Value GetPersistedSync(const Napi::CallbackInfo& info);
  Napi::Value GetCachedSync(const Napi::CallbackInfo& info);
  Napi::Value MultiGet(const Napi::CallbackInfo& info);
  Napi::Value NewIterator(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Checkpoint(const Napi::CallbackInfo& info);
  Napi::Value CompactRange(const Napi::CallbackInfo& info);
  Napi::Value GetProperty(const Napi::CallbackInfo& info);
  Napi::Value SetCompactionParams(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info, rocksdb::ReadTier tier);

  std::shared_ptr<DbCore> core_;
};

// openDb(path, options): Promise<Db>
Napi::Value OpenDb(const Napi::CallbackInfo& info);

// The WriteOptions of every write: RocksDB's WAL is off, the plog is our WAL.
const rocksdb::WriteOptions& NoWalWriteOptions();

}  // namespace pegasus_rocksdb
