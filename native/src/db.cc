#include "db.h"

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <map>
#include <mutex>

#include "common.h"
#include "iterator.h"
#include "workers.h"
#include "write_batch.h"

namespace pegasus_rocksdb {

const rocksdb::WriteOptions& NoWalWriteOptions() {
  static const rocksdb::WriteOptions options = [] {
    rocksdb::WriteOptions o;
    o.disableWAL = true;  // the plog is the WAL; this is the point of the addon
    o.sync = false;
    return o;
  }();
  return options;
}

// ---------------------------------------------------------------------------------------------
// DbCore

DbCore::~DbCore() { CloseRocks(); }

rocksdb::Status DbCore::CloseRocks() {
  if (db == nullptr) return rocksdb::Status::OK();
  rocksdb::Status result;
  for (rocksdb::ColumnFamilyHandle* handle : cfs) {
    rocksdb::Status s = db->DestroyColumnFamilyHandle(handle);
    if (result.ok() && !s.ok()) result = s;
  }
  cfs.clear();
  rocksdb::Status s = db->Close();
  if (result.ok() && !s.ok()) result = s;
  delete db;
  db = nullptr;
  return result;
}

void DbCore::ReleaseWork(Napi::Env env) {
  --pending;
  if (pending == 0 && state == State::kClosing) StartClose(env, shared_from_this());
}

// ---------------------------------------------------------------------------------------------
// Opening

namespace {

std::shared_ptr<rocksdb::Cache> SharedBlockCache(uint64_t capacity) {
  static std::mutex mutex;
  static std::map<uint64_t, std::weak_ptr<rocksdb::Cache>>* caches =
      new std::map<uint64_t, std::weak_ptr<rocksdb::Cache>>();  // never destroyed: used at exit
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<rocksdb::Cache> cache = (*caches)[capacity].lock();
  if (!cache) {
    cache = rocksdb::NewLRUCache(static_cast<size_t>(capacity));
    (*caches)[capacity] = cache;
  }
  return cache;
}

bool Supported(rocksdb::CompressionType type) {
  for (rocksdb::CompressionType t : rocksdb::GetSupportedCompressions()) {
    if (t == type) return true;
  }
  return false;
}

rocksdb::Status ResolveCompression(const std::string& name, rocksdb::CompressionType* out) {
  if (name.empty()) {
    // Upstream's default is lz4; fall back if this librocksdb was built without it.
    if (Supported(rocksdb::kLZ4Compression)) *out = rocksdb::kLZ4Compression;
    else if (Supported(rocksdb::kSnappyCompression)) *out = rocksdb::kSnappyCompression;
    else *out = rocksdb::kNoCompression;
    return rocksdb::Status::OK();
  }
  rocksdb::CompressionType type = rocksdb::kNoCompression;
  if (name == "none") type = rocksdb::kNoCompression;
  else if (name == "lz4") type = rocksdb::kLZ4Compression;
  else if (name == "snappy") type = rocksdb::kSnappyCompression;
  else if (name == "zstd") type = rocksdb::kZSTD;
  else return rocksdb::Status::InvalidArgument("unknown compression", name);
  if (type != rocksdb::kNoCompression && !Supported(type)) {
    return rocksdb::Status::NotSupported("compression not supported by this librocksdb", name);
  }
  *out = type;
  return rocksdb::Status::OK();
}

}  // namespace

rocksdb::Status OpenRocks(const OpenParams& p, std::shared_ptr<DbCore>* out) {
  auto core = std::make_shared<DbCore>();
  core->compaction_params = std::make_shared<CompactionParams>();
  core->block_cache = SharedBlockCache(p.block_cache_bytes);

  rocksdb::CompressionType compression = rocksdb::kNoCompression;
  rocksdb::Status s = ResolveCompression(p.compression, &compression);
  if (!s.ok()) return s;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = p.create_if_missing;
  db_options.create_missing_column_families = true;
  // Flushes cover both column families at once, so the applied decree in pegasus_meta_cf always
  // matches the flushed data (the WAL is disabled: only flushed state survives a crash).
  db_options.atomic_flush = true;
  db_options.max_background_jobs = p.max_background_jobs;
  db_options.keep_log_file_num = 5;  // RocksDB's own info LOG files
  // One replica is one writer: its mutations are applied one at a time. The concurrent memtable
  // (CAS-based skiplist inserts) and the adaptive spinning of the write thread only cost us then.
  db_options.allow_concurrent_memtable_write = false;
  db_options.enable_write_thread_adaptive_yield = false;

  rocksdb::ColumnFamilyOptions base;
  base.write_buffer_size = static_cast<size_t>(p.write_buffer_size);
  base.max_write_buffer_number = p.max_write_buffer_number;
  base.target_file_size_base = p.target_file_size_base;
  base.max_bytes_for_level_base = p.max_bytes_for_level_base;
  base.compression = compression;

  rocksdb::BlockBasedTableOptions data_table;
  data_table.block_cache = core->block_cache;
  data_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions data_cf = base;
  data_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(data_table));
  data_cf.compaction_filter_factory =
      std::make_shared<PegasusCompactionFilterFactory>(core->compaction_params);

  rocksdb::BlockBasedTableOptions meta_table;
  meta_table.block_cache = core->block_cache;
  rocksdb::ColumnFamilyOptions meta_cf = base;
  meta_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(meta_table));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      rocksdb::ColumnFamilyDescriptor(rocksdb::kDefaultColumnFamilyName, data_cf),
      rocksdb::ColumnFamilyDescriptor(kMetaCfName, meta_cf),
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (p.read_only) {
    s = rocksdb::DB::OpenForReadOnly(db_options, p.path, descriptors, &handles, &db);
  } else {
    s = rocksdb::DB::Open(db_options, p.path, descriptors, &handles, &db);
  }
  if (!s.ok()) return s;
  core->db = db;
  core->cfs = std::move(handles);
  *out = std::move(core);
  return rocksdb::Status::OK();
}

namespace {

// Reads optional / required fields of the JS options object. Each returns false with a JS
// exception pending on a bad value.
bool ReadBool(Napi::Env env, Napi::Object o, const char* name, bool required, bool* out) {
  Napi::Value v = o.Get(name);
  if (env.IsExceptionPending()) return false;
  if (v.IsUndefined() && !required) return true;
  if (!v.IsBoolean()) {
    ArgError(env, std::string("options.") + name + " must be a boolean").ThrowAsJavaScriptException();
    return false;
  }
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool ReadPositive(Napi::Env env, Napi::Object o, const char* name, uint64_t max, uint64_t* out) {
  Napi::Value v = o.Get(name);
  if (env.IsExceptionPending()) return false;
  if (v.IsUndefined()) return true;
  int64_t n = 0;
  if (!GetInteger(v, &n) || n < 1 || static_cast<uint64_t>(n) > max) {
    ArgError(env, std::string("options.") + name + " must be a positive integer <= " +
                      std::to_string(max))
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint64_t>(n);
  return true;
}

bool ParseOpenOptions(Napi::Env env, Napi::Object o, OpenParams* p) {
  if (!ReadBool(env, o, "createIfMissing", true, &p->create_if_missing)) return false;
  if (!ReadBool(env, o, "readOnly", false, &p->read_only)) return false;
  constexpr uint64_t kMaxBytes = uint64_t{1} << 50;
  uint64_t n = 0;
  if (!ReadPositive(env, o, "writeBufferSizeBytes", kMaxBytes, &p->write_buffer_size)) return false;
  n = static_cast<uint64_t>(p->max_write_buffer_number);
  if (!ReadPositive(env, o, "maxWriteBufferNumber", 1000, &n)) return false;
  p->max_write_buffer_number = static_cast<int>(n);
  if (!ReadPositive(env, o, "targetFileSizeBaseBytes", kMaxBytes, &p->target_file_size_base)) {
    return false;
  }
  if (!ReadPositive(env, o, "maxBytesForLevelBaseBytes", kMaxBytes, &p->max_bytes_for_level_base)) {
    return false;
  }
  if (!ReadPositive(env, o, "blockCacheBytes", kMaxBytes, &p->block_cache_bytes)) return false;
  n = static_cast<uint64_t>(p->max_background_jobs);
  if (!ReadPositive(env, o, "maxBackgroundJobs", 256, &n)) return false;
  p->max_background_jobs = static_cast<int>(n);
  Napi::Value c = o.Get("compression");
  if (env.IsExceptionPending()) return false;
  if (!c.IsUndefined()) {
    std::string name = c.IsString() ? c.As<Napi::String>().Utf8Value() : "";
    if (name != "none" && name != "lz4" && name != "snappy" && name != "zstd") {
      ArgError(env, "options.compression must be 'none', 'lz4', 'snappy' or 'zstd'")
          .ThrowAsJavaScriptException();
      return false;
    }
    p->compression = name;
  }
  return true;
}

}  // namespace

Napi::Value OpenDb(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return Rejected(env, ArgError(env, "path must be a string"));
  if (!info[1].IsObject()) return Rejected(env, ArgError(env, "options must be an object"));
  OpenParams params;
  params.path = info[0].As<Napi::String>().Utf8Value();
  if (params.path.empty()) return Rejected(env, ArgError(env, "path must not be empty"));
  if (!ParseOpenOptions(env, info[1].As<Napi::Object>(), &params)) {
    Napi::Error error = env.GetAndClearPendingException();
    return Rejected(env, error);
  }
  return StartOpen(env, std::move(params));
}

// ---------------------------------------------------------------------------------------------
// Db (JS object)

Napi::Function Db::DefineClass(Napi::Env env) {
  return ObjectWrap<Db>::DefineClass(
      env, "NativeDb",
      {
          InstanceMethod<&Db::Write>("write"),
          InstanceMethod<&Db::WriteSync>("writeSync"),
          InstanceMethod<&Db::GetSync>("getSync"),
          InstanceMethod<&Db::GetPersistedSync>("getPersistedSync"),
          InstanceMethod<&Db::GetCachedSync>("getCachedSync"),
          InstanceMethod<&Db::MultiGet>("multiGet"),
          InstanceMethod<&Db::NewIterator>("iterator"),
          InstanceMethod<&Db::Flush>("flush"),
          InstanceMethod<&Db::Checkpoint>("checkpoint"),
          InstanceMethod<&Db::CompactRange>("compactRange"),
          InstanceMethod<&Db::GetProperty>("getProperty"),
          InstanceMethod<&Db::SetCompactionParams>("setCompactionParams"),
          InstanceMethod<&Db::Close>("close"),
      });
}

Db::Db(const Napi::CallbackInfo& info) : ObjectWrap<Db>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsExternal()) {
    Throw(CodedError(env, "NativeDb cannot be constructed directly; use openDb()",
                     kCodeInvalidArgument));
    return;
  }
  auto* core = info[0].As<Napi::External<std::shared_ptr<DbCore>>>().Data();
  if (core != nullptr) core_ = *core;
  if (!core_) Throw(CodedError(env, "NativeDb: no database", kCodeInvalidArgument));
}

bool Db::CheckOpen(Napi::Env env) {
  if (core_ && core_->IsOpen()) return true;
  Throw(CodedError(env, "pegasus_rocksdb: the database is closed", kCodeDbClosed));
  return false;
}

Napi::Value Db::WriteSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  const char* data = nullptr;
  size_t length = 0;
  if (!GetBytes(info[0], &data, &length)) return Throw(ArgError(env, "batch must be a Buffer"));
  rocksdb::WriteBatch batch(length + 32);
  rocksdb::Status s = DecodeWriteBatch(data, length, core_->cfs, &batch);
  if (s.ok()) s = core_->db->Write(NoWalWriteOptions(), &batch);
  if (!s.ok()) return Throw(StatusError(env, s));
  return env.Undefined();
}

Napi::Value Db::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core_ || !core_->IsOpen()) {
    return Rejected(env, CodedError(env, "pegasus_rocksdb: the database is closed", kCodeDbClosed));
  }
  const char* data = nullptr;
  size_t length = 0;
  if (!GetBytes(info[0], &data, &length)) {
    return Rejected(env, ArgError(env, "batch must be a Buffer"));
  }
  return StartWrite(env, core_, info[0]);
}

Napi::Value Db::Get(const Napi::CallbackInfo& info, rocksdb::ReadTier tier) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  int cf = 0;
  if (!GetCfIndex(info[0], &cf)) return Throw(ArgError(env, "cf must be 0 or 1"));
  const char* key = nullptr;
  size_t key_len = 0;
  if (!GetBytes(info[1], &key, &key_len)) return Throw(ArgError(env, "key must be a Buffer"));
  rocksdb::ReadOptions options;
  options.read_tier = tier;
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      core_->db->Get(options, core_->cfs[cf], rocksdb::Slice(key, key_len), &value);
  if (s.IsNotFound()) return env.Undefined();
  // kBlockCacheTier answers Incomplete where the value would need a read from disk.
  if (tier == rocksdb::kBlockCacheTier && s.IsIncomplete()) return env.Null();
  if (!s.ok()) return Throw(StatusError(env, s));
  return Napi::Buffer<char>::Copy(env, value.data(), value.size());
}

Napi::Value Db::GetSync(const Napi::CallbackInfo& info) { return Get(info, rocksdb::kReadAllTier); }

Napi::Value Db::GetCachedSync(const Napi::CallbackInfo& info) {
  // Memtables and the block cache only, never a disk read: cheap enough for the JS thread.
  return Get(info, rocksdb::kBlockCacheTier);
}

Napi::Value Db::GetPersistedSync(const Napi::CallbackInfo& info) {
  // With the WAL disabled, kPersistedTier skips the memtables: only flushed (crash-surviving) data.
  return Get(info, rocksdb::kPersistedTier);
}

Napi::Value Db::MultiGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core_ || !core_->IsOpen()) {
    return Rejected(env, CodedError(env, "pegasus_rocksdb: the database is closed", kCodeDbClosed));
  }
  int cf = 0;
  if (!GetCfIndex(info[0], &cf)) return Rejected(env, ArgError(env, "cf must be 0 or 1"));
  if (!info[1].IsArray()) return Rejected(env, ArgError(env, "keys must be an array of Buffers"));
  Napi::Array keys = info[1].As<Napi::Array>();
  const uint32_t n = keys.Length();
  std::string packed;
  std::vector<size_t> ends;
  ends.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    Napi::Value k = keys.Get(i);
    if (env.IsExceptionPending()) return Rejected(env, env.GetAndClearPendingException());
    const char* data = nullptr;
    size_t length = 0;
    if (!GetBytes(k, &data, &length)) {
      return Rejected(env, ArgError(env, "keys[" + std::to_string(i) + "] must be a Buffer"));
    }
    packed.append(data, length);
    ends.push_back(packed.size());
  }
  return StartMultiGet(env, core_, cf, std::move(packed), std::move(ends));
}

Napi::Value Db::NewIterator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (!info[0].IsObject()) return Throw(ArgError(env, "iterator options must be an object"));
  AddonData* data = env.GetInstanceData<AddonData>();
  Napi::Object it = data->iterator_ctor.New({Value(), info[0]});
  if (env.IsExceptionPending()) return env.Undefined();
  return it;
}

Napi::Value Db::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core_ || !core_->IsOpen()) {
    return Rejected(env, CodedError(env, "pegasus_rocksdb: the database is closed", kCodeDbClosed));
  }
  return StartFlush(env, core_);
}

Napi::Value Db::Checkpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core_ || !core_->IsOpen()) {
    return Rejected(env, CodedError(env, "pegasus_rocksdb: the database is closed", kCodeDbClosed));
  }
  if (!info[0].IsString()) return Rejected(env, ArgError(env, "dir must be a string"));
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  if (dir.empty()) return Rejected(env, ArgError(env, "dir must not be empty"));
  return StartCheckpoint(env, core_, std::move(dir));
}

Napi::Value Db::CompactRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core_ || !core_->IsOpen()) {
    return Rejected(env, CodedError(env, "pegasus_rocksdb: the database is closed", kCodeDbClosed));
  }
  return StartCompactRange(env, core_);
}

Napi::Value Db::GetProperty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (!info[0].IsString()) return Throw(ArgError(env, "property name must be a string"));
  int cf = kCfDefault;
  if (!info[1].IsUndefined() && !GetCfIndex(info[1], &cf)) {
    return Throw(ArgError(env, "cf must be 0 or 1"));
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string value;
  if (!core_->db->GetProperty(core_->cfs[cf], name, &value)) return env.Undefined();
  return Napi::String::New(env, value);
}

Napi::Value Db::SetCompactionParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (!info[0].IsObject()) return Throw(ArgError(env, "compaction params must be an object"));
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value now = o.Get("nowEpochSecondsOverride");
  if (env.IsExceptionPending()) return env.Undefined();
  Napi::Value ttl = o.Get("defaultTtlSeconds");
  if (env.IsExceptionPending()) return env.Undefined();
  int64_t now_value = 0;
  int64_t ttl_value = 0;
  if (!GetInteger(now, &now_value) || now_value < -1 || now_value > int64_t{UINT32_MAX}) {
    return Throw(ArgError(env, "nowEpochSecondsOverride must be -1 or an integer in [0, 2^32)"));
  }
  if (!GetInteger(ttl, &ttl_value) || ttl_value < 0 || ttl_value > int64_t{UINT32_MAX}) {
    return Throw(ArgError(env, "defaultTtlSeconds must be an integer in [0, 2^32)"));
  }
  core_->compaction_params->now_override.store(now_value, std::memory_order_release);
  core_->compaction_params->default_ttl.store(ttl_value, std::memory_order_release);
  return env.Undefined();
}

Napi::Value Db::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  if (!core_ || core_->state == DbCore::State::kClosed) {
    deferred.Resolve(env.Undefined());  // double close is a no-op
    return deferred.Promise();
  }
  core_->close_waiters.push_back(deferred);
  if (core_->state == DbCore::State::kOpen) {
    core_->state = DbCore::State::kClosing;
    // Iterators first: each releases its RocksDB iterator now, or when its in-flight read ends
    // (that read is pending work, which the close below waits for).
    std::vector<Iterator*> live(core_->iterators.begin(), core_->iterators.end());
    for (Iterator* it : live) it->CloseNative();
    if (core_->pending == 0) StartClose(env, core_);
  }
  return deferred.Promise();
}

}  // namespace pegasus_rocksdb
